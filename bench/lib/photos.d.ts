/** The capture date the i-th generated photo carries, spread over years, months and days. */
export function dateOf(i: number): string;
/** A small real JPEG (160×120, about 10 kB) unique to `i`. */
export function photo(i: number): Promise<Buffer>;
/** The file name of the i-th generated photo. */
export function photoName(i: number): string;
/** Writes photos `from`..`from + count - 1` into `dir`, with distinct content and dates. */
export function generate(dir: string, count: number, from?: number): Promise<void>;
/** The daemon / scan configuration the benchmarks use: no AI, no places, API off. */
export function benchConfig(options?: {
  concurrency?: number;
  settle?: number;
  api?: boolean;
}): string;
/** Writes an MP4 of `megabytes` MB: ftyp, a moov whose mvhd holds the recording time, an mdat. */
export function writeVideo(path: string, i: number, megabytes: number): Promise<void>;

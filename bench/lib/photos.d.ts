/** The capture date the i-th generated photo carries, spread over years, months and days. */
export function dateOf(i: number): string;
/** A small real JPEG (160×120, about 10 kB) unique to `i`; with `xmp`, an XMP date too. */
export function photo(i: number, options?: { xmp?: boolean }): Promise<Buffer>;
/** The file name of the i-th generated photo. */
export function photoName(i: number): string;
/** Writes photos `from`..`from + count - 1` into `dir`, with distinct content and dates. */
export function generate(
  dir: string,
  count: number,
  from?: number,
  padTo?: number,
  xmpEvery?: number,
): Promise<void>;
/** The daemon / scan configuration the benchmarks use: no AI, no places, API off. */
export function benchConfig(options?: {
  concurrency?: number;
  settle?: number;
  api?: boolean;
}): string;
/** A 12 MP JPEG (4000×3000, about 3.7 MB) like a phone's, dated by `dateOf(i)`. */
export function largePhoto(i: number): Promise<Buffer>;
/** A 25 MB uncompressed TIFF (3000×2800 RGB) with its capture date in EXIF, like a RAW. */
export function rawSizedPhoto(i: number): Promise<Buffer>;
/** Writes an MP4 of `megabytes` MB whose `mvhd` carries the recording time of `dateOf(i)`. */
export function writeVideo(path: string, i: number, megabytes: number): Promise<void>;

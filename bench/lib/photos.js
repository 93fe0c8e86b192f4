// Generated inputs shared by the benchmarks.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** The capture date the i-th generated photo carries, spread over years, months and days. */
export function dateOf(i) {
  const year = 2010 + (i % 14);
  const month = String((i % 12) + 1).padStart(2, '0');
  const day = String((i % 28) + 1).padStart(2, '0');
  return `${year}:${month}:${day} 12:00:00`;
}

/** A small real JPEG (160×120, about 10 kB, like a phone thumbnail) unique to `i`. */
export function photo(i) {
  return sharp({
    create: {
      width: 160,
      height: 120,
      channels: 3,
      background: { r: i & 0xff, g: (i >> 8) & 0xff, b: 90 + ((i >> 16) & 0x3f) },
    },
  })
    .jpeg({ quality: 85 })
    .withExif({ IFD0: { Make: 'BenchCam', Model: 'B1' }, IFD2: { DateTimeOriginal: dateOf(i) } })
    .toBuffer();
}

/** The file name of the i-th generated photo. */
export const photoName = (i) => `IMG_${String(i).padStart(5, '0')}.jpg`;

/** Writes photos `from`..`from + count - 1` into `dir`, with distinct content and dates. */
export async function generate(dir, count, from = 0) {
  await mkdir(dir, { recursive: true });
  for (let i = from; i < from + count; i++)
    await writeFile(join(dir, photoName(i)), await photo(i));
}

/** The daemon / scan configuration the benchmarks use: no AI, no places, API off. */
export function benchConfig({ concurrency, settle = 200, api = false } = {}) {
  return [
    'library: ./library',
    // Each run's library is a new folder: consent to making it.
    'createLibrary: true',
    'inboxes: [./inbox]',
    'state: ./state',
    `settle: ${settle}`,
    ...(concurrency ? [`concurrency: ${concurrency}`] : []),
    'geocode: { enabled: false }',
    'tagging: { enabled: false }',
    `api: { enabled: ${api} }`,
    'rules: [{ name: default, to: "{year}/{date}/{name}{ext}" }]',
    '',
  ].join('\n');
}

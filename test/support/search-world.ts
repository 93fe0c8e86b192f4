import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExifTool, WriteTags } from 'exiftool-vendored';
import sharp from 'sharp';
import { ROOT } from './cli.js';
import { listFiles, waitFor } from './fs.js';
import { project, type Project } from './project.js';

/** A photo of one flat colour, which the colour test model embeds as that colour. */
export interface ColourPhoto {
  name: string;
  rgb: [number, number, number];
  /** `YYYY:MM:DD HH:MM:SS`. */
  date: string;
  make?: string;
  model?: string;
  gps?: { lat: number; lon: number };
  /** Pixels on a side (bigger photos take longer to decode). */
  size?: number;
}

/** Writes the colour test model (scripts/make-test-model.js) under `dir`; returns its folder. */
export function colourModel(dir: string): string {
  const model = join(dir, 'models', 'colour-clip');
  execFileSync(process.execPath, [join(ROOT, 'scripts/make-test-model.js'), model]);
  return model;
}

/** A project that tags with the colour model (and geocodes when asked). */
export function searchProject(
  model: string,
  options: { geocode?: boolean } = {},
): Promise<Project> {
  return project(
    {
      geocode: { enabled: options.geocode ?? false },
      tagging: {
        enabled: true,
        model,
        labels: ['red', 'green', 'blue', 'yellow', 'white', 'black'],
        minScore: 0.3,
        maxTags: 2,
      },
    },
    'photosortd-search-',
  );
}

/** Writes a colour photo with its date, camera and position. */
export async function writeColourPhoto(
  path: string,
  photo: ColourPhoto,
  exiftool: ExifTool,
): Promise<void> {
  const [r, g, b] = photo.rgb;
  const size = photo.size ?? 64;
  const ifd0: Record<string, string> = {};
  if (photo.make) ifd0.Make = photo.make;
  if (photo.model) ifd0.Model = photo.model;
  await mkdir(dirname(path), { recursive: true });
  const bytes = await sharp({
    create: { width: size, height: Math.round(size * 0.75), channels: 3, background: { r, g, b } },
  })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: ifd0, IFD2: { DateTimeOriginal: photo.date } })
    .toBuffer();
  await writeFile(path, bytes);
  if (photo.gps) {
    const { lat, lon } = photo.gps;
    await exiftool.write(
      path,
      {
        // Signed: exiftool-vendored derives the N/S and E/W references from the sign.
        GPSLatitude: lat,
        GPSLatitudeRef: lat < 0 ? 'S' : 'N',
        GPSLongitude: lon,
        GPSLongitudeRef: lon < 0 ? 'W' : 'E',
      } as WriteTags,
      { writeArgs: ['-overwrite_original'] },
    );
  }
}

/** A search hit as `search --json` prints it. */
export interface HitLine {
  id: number;
  path: string;
  score: number;
  takenAt: string | null;
  place: { city: string | null; countryCode: string | null } | null;
  tags: { label: string; score: number }[] | null;
  camera: string | null;
}

/** Flat-colour photos a search for "red" ranks clearly: the reds first, then the rest. */
export const COLOUR_PHOTOS: readonly ColourPhoto[] = Object.freeze([
  { name: 'red-a', rgb: [230, 20, 20], date: '2021:05:01 10:00:00' },
  { name: 'blue', rgb: [20, 20, 230], date: '2021:05:02 10:00:00' },
  { name: 'red-b', rgb: [200, 50, 40], date: '2021:05:03 10:00:00' },
  { name: 'green', rgb: [20, 200, 30], date: '2021:05:04 10:00:00' },
  { name: 'white', rgb: [250, 250, 250], date: '2021:05:05 10:00:00' },
]);

/**
 * Drops `photos` (as `<name>.jpg`) into a running daemon's inbox and waits until the
 * library holds them all, so the tag stage has put them in the search index.
 */
export async function dropColourPhotos(
  p: { inbox: string; library: string },
  photos: readonly ColourPhoto[],
  exiftool: ExifTool,
): Promise<void> {
  for (const photo of photos) {
    await writeColourPhoto(join(p.inbox, `${photo.name}.jpg`), photo, exiftool);
  }
  await waitFor(
    async () =>
      (await listFiles(p.library)).filter((f) => f.endsWith('.jpg')).length === photos.length,
    { what: `${photos.length} colour photos filed`, timeoutMs: 90_000 },
  );
}

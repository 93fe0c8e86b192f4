import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExifTool, WriteTags } from 'exiftool-vendored';
import sharp from 'sharp';
import { ROOT } from './cli.js';
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

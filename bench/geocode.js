// Geocoding providers side by side: agreement with truth.tsv's `place`, start-up time,
// resident memory, longest event-loop stall while loading, and µs per lookup.
// Each provider runs in a fresh child process so start time and RSS are its own.
// Build first: `npx tsc -p tsconfig.build.json && node bench/geocode.js`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const TRUTH =
  process.env.PHOTOSORTD_CORPUS_TRUTH ??
  fileURLToPath(new URL('../../shared/corpus/truth.tsv', import.meta.url));
const VARIANTS = [
  { label: 'geonames (kdbush index)', provider: 'geonames', engine: 'kdbush' },
  {
    label: 'geonames (local-reverse-geocoder)',
    provider: 'geonames',
    engine: 'local-reverse-geocoder',
  },
  { label: 'exiftool Geolocation', provider: 'exiftool' },
];
const RANDOM_LOOKUPS = 2000;

function truthPoints() {
  return readFileSync(TRUTH, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split('\t'))
    .filter((f) => f[5] && !(Number(f[5]) === 0 && Number(f[6]) === 0))
    .map((f) => ({ file: f[0], lat: Number(f[5]), lon: Number(f[6]), place: f[12] }));
}

async function child(variant, stateDir) {
  const { createGeocoder } = await import('../dist/geocode/geocoder.js');
  const stall = monitorEventLoopDelay({ resolution: 10 });
  stall.enable();
  const t0 = performance.now();
  const geocoder = createGeocoder({ ...variant, stateDir, cache: false });
  await geocoder.ready();
  const startMs = performance.now() - t0;
  stall.disable();
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  let agree = 0;
  const points = truthPoints();
  for (const p of points) {
    const place = await geocoder.lookup(p);
    const truth = p.place.toLowerCase();
    if (place?.city && truth.includes(place.city.toLowerCase())) agree += 1;
  }
  // Random points over land-ish latitudes; the same seed for every provider.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const queries = Array.from({ length: RANDOM_LOOKUPS }, () => ({
    lat: -50 + rand() * 110,
    lon: -180 + rand() * 360,
  }));
  const t1 = performance.now();
  for (const q of queries) await geocoder.lookup(q);
  const usPerLookup = ((performance.now() - t1) * 1000) / queries.length;
  await geocoder.close();
  process.stdout.write(
    JSON.stringify({
      startMs,
      rssMb,
      stallMs: stall.max / 1e6,
      agree,
      total: points.length,
      usPerLookup,
    }),
  );
}

function main() {
  const self = fileURLToPath(import.meta.url);
  const stateDir = mkdtempSync(join(tmpdir(), 'photosortd-bench-geocode-'));
  // The first start lays the GeoNames data out under the state directory (once per install).
  const prepare = JSON.parse(
    execFileSync(process.execPath, [self, '--child', '0', stateDir], { encoding: 'utf8' }),
  );
  const rows = VARIANTS.map((variant, i) => ({
    ...variant,
    ...JSON.parse(
      execFileSync(process.execPath, [self, '--child', String(i), stateDir], { encoding: 'utf8' }),
    ),
  }));
  const base = rows[0];
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`first start, laying out GeoNames data once: ${prepare.startMs.toFixed(0)} ms`);
  console.log(
    `| provider | agrees with truth.tsv | start (ms) | RSS (MB) | longest stall (ms) | µs / lookup |`,
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${pad(r.label, 34)} | ${r.agree}/${r.total} | ${r.startMs.toFixed(0)} (×${(r.startMs / base.startMs).toFixed(1)}) | ${r.rssMb.toFixed(0)} (×${(r.rssMb / base.rssMb).toFixed(1)}) | ${r.stallMs.toFixed(0)} | ${r.usPerLookup.toFixed(1)} (×${(r.usPerLookup / base.usPerLookup).toFixed(1)}) |`,
    );
  }
}

if (process.argv[2] === '--child') {
  await child(VARIANTS[Number(process.argv[3])], process.argv[4]);
} else {
  main();
}

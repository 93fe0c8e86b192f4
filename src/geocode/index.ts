/** Offline reverse geocoding: the geocoder, its providers' names and the default choice. */
export {
  createGeocoder,
  DEFAULT_GEOCODE_PROVIDER,
  DEFAULT_GEONAMES_ENGINE,
  type Geocoder,
  type GeocoderOptions,
  type GeocodeProvider,
  type GeonamesEngine,
} from './geocoder.js';
export { usableGps } from './gps.js';
export { countryName } from './countries.js';

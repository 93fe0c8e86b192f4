/** Offline reverse geocoding: the geocoder and the default provider. */
export { createGeocoder, DEFAULT_GEOCODE_PROVIDER, type Geocoder } from './geocoder.js';

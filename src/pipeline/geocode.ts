import type { Geocoder } from '../geocode/geocoder.js';
import type { FileJob, Stage } from './job.js';

/**
 * The geocode stage: sets `job.place` from the file's GPS position — `null` when the file has
 * no usable GPS or no town is near (mid-ocean, 0,0). A file waits only for its own lookup.
 */
export function createGeocodeStage(geocoder: Geocoder): Stage {
  return async (job: FileJob): Promise<FileJob> => {
    const gps = job.meta?.gps ?? null;
    if (!gps) return { ...job, place: null };
    return { ...job, place: await geocoder.lookup(gps) };
  };
}

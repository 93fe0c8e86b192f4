import type { GpsPosition } from '../pipeline/job.js';
import type { Candidate } from './choose.js';

/** A loaded place database: the populated places near a position. */
export interface PlaceEngine {
  candidates(gps: GpsPosition): Candidate[] | Promise<Candidate[]>;
  close(): Promise<void>;
}

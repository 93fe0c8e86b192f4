import type { GpsPosition } from '../lib/media.js';
import type { Candidate } from './choose.js';

/** A loaded place database: the populated places near a position. */
export interface PlaceEngine {
  candidates(gps: GpsPosition): Candidate[] | Promise<Candidate[]>;
  close(): Promise<void>;
}

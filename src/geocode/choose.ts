/** A populated place near a position, as any provider reports it. */
export interface Candidate {
  name: string;
  /** GeoNames feature code, e.g. `PPL`, `PPLA2`, `PPLX`. */
  featureCode: string;
  /** 0 when GeoNames does not know it. */
  population: number;
  distanceKm: number;
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  region: string | null;
}

/**
 * Beyond this no town is named. GeoNames lists every place of 1000 people, and in thinly
 * settled land (Highlands, Nordic interior, Rockies) towns lie 20–50 km apart, so a hiker
 * still gets the nearest one; further than that from any town is open sea, desert or ice,
 * where a town's name would mislead more than it helps.
 */
export const MAX_DISTANCE_KM = 50;

/**
 * Within this radius a large town may win over a nearer small one: a photo taken 4 km from
 * the centre of Paris is filed under Paris, not under the suburb whose centre is 3.6 km away.
 */
const PULL_RADIUS_KM = 20;

/** Parts of a town (PPLX) and places that are gone or historical: not a town to file under. */
const NOT_A_TOWN = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW', 'PPLCH']);
const GONE = new Set(['PPLH', 'PPLQ', 'PPLW', 'PPLCH']);

/**
 * GeoNames gives population 0 when it is unknown; cities1000 holds places of at least 1000
 * people (and seats of government), so that is the floor.
 */
const POPULATION_FLOOR = 1000;

function weight(candidate: Candidate): number {
  const distance = Math.max(candidate.distanceKm, 1);
  return Math.max(candidate.population, POPULATION_FLOOR) / distance ** 3;
}

/**
 * The place a person would write on a folder: among towns (not districts or historical
 * places) within {@link PULL_RADIUS_KM}, the one with the greatest population ÷ distance³ —
 * the nearest town unless a much larger one is almost as near; else the nearest town within
 * {@link MAX_DISTANCE_KM}; else a district when nothing else is near; else `null`.
 */
export function chooseSettlement(candidates: readonly Candidate[]): Candidate | null {
  const inRange = candidates.filter((c) => c.distanceKm <= MAX_DISTANCE_KM);
  const towns = inRange.filter((c) => !NOT_A_TOWN.has(c.featureCode));
  const pulled = towns.filter((c) => c.distanceKm <= PULL_RADIUS_KM);
  if (pulled.length > 0) {
    return pulled.reduce((best, c) => (weight(c) > weight(best) ? c : best));
  }
  const nearest = (list: Candidate[]): Candidate | null =>
    list.length === 0 ? null : list.reduce((a, b) => (b.distanceKm < a.distanceKm ? b : a));
  return nearest(towns) ?? nearest(inRange.filter((c) => !GONE.has(c.featureCode)));
}

/**
 * English country names for ISO 3166-1 alpha-2 codes. No installed package ships GeoNames'
 * countryInfo.txt, so names come from the ICU data built into Node, with the few ICU names
 * that read badly on a folder (`Hong Kong SAR China`, `Congo - Kinshasa`, `St. Kitts & Nevis`)
 * replaced by the names GeoNames uses.
 */

const displayNames = new Intl.DisplayNames('en', { type: 'region', fallback: 'none' });

const GEONAMES_NAMES: Readonly<Record<string, string>> = {
  CD: 'DR Congo',
  CG: 'Republic of the Congo',
  CI: 'Ivory Coast',
  HK: 'Hong Kong',
  MO: 'Macao',
  MM: 'Myanmar',
  PS: 'Palestine',
  UM: 'U.S. Minor Outlying Islands',
  VA: 'Vatican',
};

/** The English name of a country code, e.g. `PT` → `Portugal`; `null` for an unknown code. */
export function countryName(code: string): string | null {
  const upper = code.toUpperCase();
  const fixed = GEONAMES_NAMES[upper];
  if (fixed) return fixed;
  if (!/^[A-Z]{2}$/.test(upper)) return null;
  const name = displayNames.of(upper);
  if (!name || name === upper || name === 'Unknown Region') return null;
  // ICU writes `St. Vincent & Grenadines`; GeoNames and most people write it out in full.
  return name
    .replace(/ & /g, ' and ')
    .replace(/^St\. /, 'Saint ')
    .replace(/’/g, "'");
}

/** A value as exiftool's `-json` writes it: text, a number, or `true`/`false`. */
export type TagValue = string | number | boolean;

/** One tag a reader found: its `-G1` group, its exiftool name and its value as `-json` gives it. */
export interface FoundTag {
  group: string;
  name: string;
  value: TagValue;
}

/**
 * exiftool's `-json` test for text that it writes unquoted (its `EscapeJSON`): `true`/`false`
 * in any case become booleans, and numbers of at most 15 integer digits without a leading zero
 * become numbers; everything else stays text.
 */
const JSON_NUMBER = /^-?(\d|[1-9]\d{1,14})(\.\d{1,16})?(e[-+]?\d{1,3})?$/i;

/** Text a reader decoded, as exiftool's JSON would carry it (see {@link JSON_NUMBER}). */
export function jsonValue(text: string): TagValue {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return JSON_NUMBER.test(text) ? Number(text) : text;
}

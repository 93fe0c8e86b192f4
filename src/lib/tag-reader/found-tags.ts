import type { RawTags } from '../exiftool.js';

/**
 * The tags a native reader found, and how to turn them into the `RawTags` exiftool's
 * `-j -a -G1` would print for the same file and tag list.
 */

/** One tag as exiftool names it with `-G1`, its value as the JSON would hold it. */
export interface FoundTag {
  group: string;
  name: string;
  value: string | number | boolean;
}

/**
 * Thrown inside a reader where the file holds something it cannot reproduce exactly; the
 * reader's entry point turns it into "not sure" (null) so that exiftool reads the file.
 */
export class Unsure extends Error {
  constructor(what: string) {
    super(`not read natively: ${what}`);
    this.name = 'Unsure';
  }
}

/** Stops the read as {@link Unsure} unless `condition` holds. */
export function ensure(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Unsure(what);
}

/** exiftool's JSON writer prints a value matching this as a bare number (exiftool script). */
const JSON_NUMBER = /^-?(\d|[1-9]\d{1,14})(\.\d{1,16})?(e[-+]?\d{1,3})?$/i;

/**
 * A text value as it comes out of exiftool's JSON: `true`/`false` as booleans, number-like
 * text as a number, anything else as the string. Text with control or non-ASCII characters
 * is refused: exiftool decodes and escapes those by rules not worth copying for tags that
 * hold dates, makes and models.
 */
export function jsonValue(text: string): string | number | boolean {
  ensure(/^[\x20-\x7e]*$/.test(text), 'text with control or non-ASCII characters');
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return JSON_NUMBER.test(text) ? Number(text) : text;
}

/**
 * The tags in exiftool's output order for an explicit tag list: by the position of the tag's
 * name in `order`, then in the order they were found (Composite tags, derived last, come after
 * the others of their name). Names not in `order` were not asked for and are left out. Two
 * tags with one `Group:Name` would be one JSON key twice, so that is {@link Unsure}.
 */
export function orderedTags(found: readonly FoundTag[], order: readonly string[]): RawTags {
  const tags: RawTags = {};
  for (const name of order) {
    for (const tag of found) {
      if (tag.name !== name) continue;
      const key = `${tag.group}:${tag.name}`;
      ensure(!(key in tags), `two values for ${key}`);
      tags[key] = tag.value;
    }
  }
  return tags;
}

/** perl's default number formatting (`%.15g`) as the double JSON would parse it back to. */
export function perlNumber(value: number): number {
  return Number(value.toPrecision(15));
}

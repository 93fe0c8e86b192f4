/**
 * Thrown inside a reader where the file holds something it cannot reproduce exactly as
 * exiftool would; the reader's entry point turns it into "not sure" (null), and exiftool reads
 * the file instead.
 */
export class Unsure extends Error {
  constructor(what: string) {
    super(`not read natively: ${what}`);
    this.name = 'Unsure';
  }
}

/** Stops the read as {@link Unsure} unless `condition` holds; `what` names the obstacle. */
export function ensure(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Unsure(what);
}

/** Printable ASCII only: text exiftool passes through without decoding or escaping. */
export function isPlainText(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/* eslint-disable no-control-regex -- binary signatures are matched as latin1 text, as exiftool's Perl matches them */
/**
 * What to do with a MakerNote (EXIF tag 0x927c). exiftool picks the maker-note table by the
 * first matching condition of its `MakerNotes::Main` list (on the note's first bytes, Make and
 * Model). Only some of those tables hold tags photosortd asks for; they are listed here, each
 * with a condition that matches at least wherever exiftool's does. A note none of them may match
 * goes to a table without any asked-for tag (exiftool's last entry, `Unknown`, takes every note),
 * so it can be passed over. Apple's, the first in exiftool's list, is read for ContentIdentifier.
 *
 * The tables were found by walking every maker-note table exiftool 13.59 has (sub-tables
 * included) for the names READ_ARGS asks for (plus ImageWidth/ImageHeight, which decide
 * Composite:ImageSize); docs/ARCHITECTURE.md tells how to redo that walk.
 */
export type MakerNoteVerdict = 'apple' | 'skip' | 'decline';

interface Condition {
  /** exiftool's name of the maker-note table entry, for a reader comparing with its list. */
  entry: string;
  note?: RegExp;
  make?: RegExp;
  model?: RegExp;
}

/**
 * Tables holding asked-for tags: Nikon (IPTC DateCreated/TimeCreated in Capture NX data), DJI
 * (Make), Google HDR+ (CreateDate), Kodak (TimeCreated, DateTimeOriginal), Leica 5/8 (a
 * PanasonicRaw Orientation), Pentax and Ricoh-Pentax (Model), Phase One (DateTimeOriginal,
 * ImageWidth), Reconyx (DateTimeOriginal) and Sigma (Model). Conditions are widened where
 * exiftool's need more than the note's head (all of Kodak by make or model, all of Nikon by make).
 */
const ASKED_FOR_TAGS: readonly Condition[] = Object.freeze([
  { entry: 'MakerNoteNikon', note: /^Nikon\x00\x02/ },
  { entry: 'MakerNoteNikon3', make: /^NIKON/i },
  { entry: 'MakerNoteDJI', make: /^DJI$/ },
  { entry: 'MakerNoteGoogle', note: /^HDRP[\x02\x03]/ },
  { entry: 'MakerNoteKodak*', make: /kodak/i },
  { entry: 'MakerNoteKodak11/12', model: /kodak|pixpro/i },
  { entry: 'MakerNoteKodak9', note: /^IIII[\x02\x03]\0.{14}\d{4}\/\d{2}\/\d{2} /s },
  { entry: 'MakerNoteLeica5/8', note: /^LEICA\0/ },
  { entry: 'MakerNotePentax', note: /^AOC\0/ },
  { entry: 'MakerNotePentax5', note: /^PENTAX \0/ },
  { entry: 'MakerNoteRicohPentax', note: /^RICOH\0(II|MM)/ },
  { entry: 'MakerNotePhaseOne', note: /^(IIII.waR|MMMMRaw.)/s },
  { entry: 'MakerNoteReconyxHyperFire', note: /^\x01\xf1/ },
  { entry: 'MakerNoteReconyx*', note: /^RECONYX/ },
  { entry: 'MakerNoteSigma', make: /^(SIGMA|FOVEON)/i },
]);

/** How to treat a maker note whose first bytes are `note`, in a file of this Make and Model. */
export function makerNoteVerdict(note: Buffer, make: string, model: string): MakerNoteVerdict {
  const head = note.toString('latin1', 0, Math.min(note.length, 64));
  if (head.startsWith('Apple iOS\0')) return 'apple';
  const mayMatch = (c: Condition): boolean =>
    (c.note?.test(head) ?? true) && (c.make?.test(make) ?? true) && (c.model?.test(model) ?? true);
  return ASKED_FOR_TAGS.some(mayMatch) ? 'decline' : 'skip';
}

import path from 'node:path';

/**
 * Path segments built from untrusted text (EXIF strings, place names, AI tags, file names).
 * A segment made here is safe on POSIX, macOS and Windows/SMB shares: it cannot name a
 * parent or the current folder, carries no separator, no control or invisible character, is
 * no Windows device name and fits the 255-byte limit of common filesystems.
 */

/** Longest segment, in bytes of UTF-8, that ext4, APFS, NTFS and SMB all accept. */
const MAX_SEGMENT_BYTES = 255;

/** An extension longer than this is treated as part of the name when cutting to length. */
const MAX_EXTENSION_BYTES = 32;

/** Options of {@link sanitizeSegment}. */
export interface SanitizeOptions {
  /**
   * The segment is a file name: when it must be cut to length, its extension (`.jpg`) is
   * kept and the stem is shortened instead.
   */
  keepExtension?: boolean;
}

// Whitespace control characters read as word breaks, so they become a space rather than
// gluing two words together.
const CONTROL_SPACE = /[\t\n\v\f\r\x85\u2028\u2029]/gu;
const CONTROL = /\p{Cc}/gu;
// Lone surrogates cannot be written as UTF-8; Node would silently turn them into U+FFFD.
const LONE_SURROGATE = /\p{Cs}/gu;
// Windows and SMB refuse these; `/` and `\` would split the segment.
const FORBIDDEN = /[/\\<>:"|?*]/gu;
// Characters that render as nothing: format characters (bidi overrides and isolates,
// zero-width space, BOM, soft hyphen, tag characters that can smuggle hidden text) and the
// rest of Unicode's default-ignorable set (Hangul fillers, unassigned tag code points),
// except the joiners handled below. A name made of them looks empty or like another name.
const INVISIBLE = /(?!\u200c|\u200d|[\ufe00-\ufe0f])[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
// Zero-width (non-)joiners and variation selectors are part of emoji and of Persian and
// Indic spelling, so they stay between non-ASCII characters; next to ASCII they only hide
// a difference between two names that look the same.
const JOINER = /\u200c|\u200d|[\ufe00-\ufe0f]/u;
const EDGES = /^[\s.]+|[\s.]+$/gu;
// Device names Windows reserves in every folder, with or without an extension, in any case
// (superscript digits included). `CON .txt` is reserved too: spaces before the dot count.
const RESERVED = /^(?:con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/iu;

/**
 * ICU's grapheme segmenter, made when a name is first cut: making it takes ~10 ms, which every
 * command that loads this module (all that file or undo) would pay even with nothing to name.
 */
let graphemes: Intl.Segmenter | undefined;

/** Bytes `text` takes in UTF-8. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function isAscii(char: string | undefined): boolean {
  return char !== undefined && char.codePointAt(0)! < 0x80;
}

function dropStrayJoiners(text: string): string {
  if (!JOINER.test(text)) return text;
  const chars = Array.from(text);
  return chars
    .filter((char, i) => {
      if (!JOINER.test(char)) return true;
      const before = chars[i - 1];
      const after = chars[i + 1];
      if (before === undefined || isAscii(before)) return false;
      // A variation selector ends its sequence; a joiner must join two non-ASCII characters.
      return char >= '\ufe00' || (after !== undefined && !isAscii(after));
    })
    .join('');
}

/**
 * The characters of `raw` made safe to appear inside a path segment: NFC, no separators or
 * characters Windows refuses (replaced by `_`), no control, invisible or bidi characters.
 * Ends are not trimmed and length is not limited: this is for a part of a segment (one token
 * value); {@link sanitizeSegment} finishes a whole segment.
 */
export function sanitizeText(raw: string): string {
  const cleaned = raw
    .normalize('NFC')
    .replace(LONE_SURROGATE, '')
    .replace(CONTROL_SPACE, ' ')
    .replace(CONTROL, '')
    .replace(FORBIDDEN, '_')
    .replace(INVISIBLE, '');
  // Removing a character between a letter and its accent can leave a decomposed pair.
  return dropStrayJoiners(cleaned).normalize('NFC');
}

function trimEdges(text: string): string {
  return text.replace(EDGES, '');
}

function isReserved(segment: string): boolean {
  const dot = segment.indexOf('.');
  const base = (dot === -1 ? segment : segment.slice(0, dot)).replace(/\s+$/u, '');
  return RESERVED.test(base);
}

/** The longest prefix of `text` within `maxBytes`, cut between graphemes when possible. */
function cutToBytes(text: string, maxBytes: number): string {
  let kept = '';
  let bytes = 0;
  graphemes ??= new Intl.Segmenter('und', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8Length(segment);
    if (bytes + size <= maxBytes) {
      kept += segment;
      bytes += size;
      continue;
    }
    // One grapheme can be arbitrarily long (a letter with a thousand accents): when not even
    // the first fits, cut inside it on a code-point boundary.
    if (kept === '') {
      for (const char of segment) {
        const charSize = utf8Length(char);
        if (bytes + charSize > maxBytes) break;
        kept += char;
        bytes += charSize;
      }
    }
    break;
  }
  return kept;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return '';
  const extension = name.slice(dot);
  const usable = extension.length > 1 && !/\s/u.test(extension);
  return usable && utf8Length(extension) <= MAX_EXTENSION_BYTES ? extension : '';
}

function fitLength(segment: string, keepExtension: boolean): string {
  if (utf8Length(segment) <= MAX_SEGMENT_BYTES) return segment;
  const extension = keepExtension ? extensionOf(segment) : '';
  const stem = segment.slice(0, segment.length - extension.length);
  const shortStem = trimEdges(cutToBytes(stem, MAX_SEGMENT_BYTES - utf8Length(extension)));
  return trimEdges(shortStem + extension);
}

/**
 * One path segment made safe from any string: {@link sanitizeText}, then leading and
 * trailing spaces and dots trimmed (so `.`, `..` and names of only dots become empty, and
 * nothing is hidden or refused by Windows), Windows device names (`CON`, `nul.txt`,
 * `COM1.jpg`) prefixed with `_`, and the whole cut to 255 bytes of UTF-8 on a character
 * boundary (keeping the extension with `keepExtension`). The result may be empty: the
 * caller drops empty segments.
 */
export function sanitizeSegment(raw: string, options: SanitizeOptions = {}): string {
  const keepExtension = options.keepExtension ?? false;
  const segment = fitLength(trimEdges(sanitizeText(raw)), keepExtension);
  // A cut can end a name right after a device name (`CON   …x.jpg` → `CON.jpg`), so the
  // check comes after it; the `_` keeps the name from being one after a second cut.
  return isReserved(segment) ? fitLength(`_${segment}`, keepExtension) : segment;
}

/**
 * Whether `candidate` lies strictly below `root` once both are resolved: not `root` itself,
 * not reached through `..`, and not a sibling sharing a prefix (`/library2` is not inside
 * `/library`). Purely lexical: symbolic links are not followed.
 */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(root), path.resolve(candidate));
  if (relative === '' || path.isAbsolute(relative)) return false;
  return relative !== '..' && !relative.startsWith(`..${path.sep}`);
}

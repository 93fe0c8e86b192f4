import { ANSWERABLE_NAMES } from './raw-tags.js';

/**
 * Names whose presence anywhere in an XMP packet could give exiftool a tag the native
 * readers are asked for: every answerable tag name, the elements exiftool renames into one of
 * them or into what its Composite tags are made from (`tiff:ImageLength` is its ImageHeight,
 * `exif:GPSTimeStamp` its GPSDateTime; exiftool 13.59's XMP tables, `Name =>`), and those
 * Composite inputs themselves. Matched case-insensitively, as substrings: a flattened
 * structure's tag name is its element names run together, so a name inside a longer one
 * counts too.
 */
const TELLING_NAMES: readonly string[] = Object.freeze([
  ...ANSWERABLE_NAMES,
  'GPS',
  'ImageWidth',
  'ImageHeight',
  'ImageLength',
  'PixelXDimension',
  'PixelYDimension',
]);

/**
 * Whether exiftool, reading this XMP packet for the answerable tags, would find none of them
 * and have nothing to warn about, so a reader may pass the packet over. Only a packet that is
 * valid UTF-8, holds one `x:xmpmeta` (or bare `rdf:RDF`) element whose tags nest properly,
 * and mentions no {@link TELLING_NAMES} anywhere qualifies: a phone's XMP of its camera mode
 * (Google's `GCamera`, `GainMap`) does; an editor's, with its dates and GPS, does not.
 */
export function xmpHoldsNothingAsked(packet: Buffer): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(packet);
  } catch {
    return false;
  }
  const folded = text.toLowerCase();
  if (TELLING_NAMES.some((name) => folded.includes(name.toLowerCase()))) return false;
  if (!/<x:xmpmeta[\s>]|<rdf:RDF[\s>]/.test(text)) return false;
  return tagsNest(text);
}

/**
 * Whether the elements of `xml` open and close in order (comments, processing instructions
 * and self-closing tags allowed; no DOCTYPE, CDATA or entity other than XML's own), the
 * structure exiftool's XMP parser needs to read it without a format warning.
 */
function tagsNest(xml: string): boolean {
  const open: string[] = [];
  const markup =
    /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/g;
  for (const match of xml.matchAll(markup)) {
    const [whole, closing, name, , selfClosing] = match;
    if (whole.startsWith('<?') || whole.startsWith('<!--')) continue;
    if (name === undefined) return false;
    if (closing) {
      if (open.pop() !== name) return false;
    } else if (!selfClosing) {
      open.push(name);
    }
  }
  return open.length === 0;
}

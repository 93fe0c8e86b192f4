import type { FoundTag } from './found-tag.js';
import { type BmffFile, boxBody, boxesIn, isPadding, readBox } from './iso-bmff.js';
import { readTiffTags } from './tiff.js';
import { xmpHoldsNothingAsked } from './xmp-packet.js';
import { ensure } from './unsure.js';

/**
 * The tags exiftool 13 (`-fast -a -G1`) gives HEIF still images (HEIC, AVIF): those of the Exif
 * item (parsed by the TIFF reader), Composite:ImageSize from the primary item's `ispe`
 * property, and File:FileType/MIMEType by the major brand. XMP items, several Exif items, an
 * Exif item describing another image than the primary, and any box exiftool might find more in
 * make the read Unsure (null from readIsoBmffTags).
 */

/** Limits of the read, each with why. */
const LIMITS = Object.freeze({
  /** An image's item metadata is a few kB; a larger meta box is something else. */
  maxMetaBytes: 1024 * 1024,
  /**
   * Exif is at most 64 kB in JPEG and an XMP packet a few kB; HEIF allows more, but a
   * camera's items stay far below this.
   */
  maxItemBytes: 4 * 1024 * 1024,
});

/** File type and MIME type exiftool gives by major brand. */
const TYPES: Readonly<Record<string, [string, string]>> = Object.freeze({
  heic: ['HEIC', 'image/heic'],
  mif1: ['HEIF', 'image/heif'],
  heix: ['HEIF', 'image/heif'],
  avif: ['AVIF', 'image/avif'],
});

/** Boxes of a HEIF meta box that hold no tag asked for, or whose content is read elsewhere. */
const QUIET_META_BOXES = new Set(['hdlr', 'dinf', 'idat', 'free']);

/** One item of the item information and location boxes. */
interface Item {
  type: string;
  /** For `mime` items: their content type (exiftool reads XMP by it). */
  contentType?: string;
  contentEncoding?: string;
  protection: number;
  /** Where its bytes are: 0 in the file, 1 in `idat`, 2 in other items. */
  construction: number;
  dataReference: number;
  baseOffset: number;
  extents: { offset: number; length: number }[];
  /** Items this one refers to (iref: `cdsc` for metadata describing an image). */
  refersTo: Set<number>;
}

/** What the item boxes of a HEIF meta box hold. */
interface Items {
  primary?: number;
  items: Map<number, Item>;
  /** Item properties (ipco), in order; property indexes count from 1. */
  properties: { type: string; body: Buffer }[];
  /** Item id → the indexes of its properties (ipma). */
  associations: Map<number, number[]>;
}

/** The tags of a HEIF image (see the module comment); throws Unsure where not sure. */
export async function readHeifTags(file: BmffFile): Promise<FoundTag[]> {
  const { source, boxes, brand } = file;
  const types = TYPES[brand];
  ensure(types, `${brand} brand`);
  let items: Items | undefined;
  for (const box of boxes.slice(1)) {
    ensure(!box.toEnd || box.type === 'mdat', `${box.type} box running to the end of the file`);
    if (box.type === 'meta') {
      ensure(items === undefined, 'two meta boxes');
      ensure(box.end - box.bodyStart <= LIMITS.maxMetaBytes, 'meta box too large');
      const body = await readBox(source, box);
      // A full box: exiftool skips its version word.
      ensure(body.length >= 4, 'short meta');
      items = readMeta(body.subarray(4));
    } else if (box.type === 'free' || box.type === 'skip') {
      ensure(await isPadding(source, box), 'free box with content');
    } else {
      // exiftool's table has nothing for a wide box (a placeholder for a 64-bit size).
      ensure(box.type === 'mdat' || box.type === 'wide', `top-level ${box.type} box`);
    }
  }
  ensure(items, 'no meta box');
  const found: FoundTag[] = [
    { group: 'File', name: 'FileType', value: types[0] },
    { group: 'File', name: 'MIMEType', value: types[1] },
  ];
  const exif = await readExif(file, items);
  if (exif) {
    // exiftool's ImageSize would then come from whichever width it met last.
    ensure(!exif.tags.some((tag) => /^Image(Width|Height)$/.test(tag.name)), 'Exif image size');
    found.push(...exif.tags, ...exif.composite);
  }
  const size = primarySize(items);
  if (size) found.push({ group: 'Composite', name: 'ImageSize', value: size });
  return found;
}

function readMeta(meta: Buffer): Items {
  const items: Items = { items: new Map(), properties: [], associations: new Map() };
  const item = (id: number): Item => {
    let entry = items.items.get(id);
    if (!entry) {
      entry = {
        type: '',
        protection: 0,
        construction: 0,
        dataReference: 0,
        baseOffset: 0,
        extents: [],
        refersTo: new Set(),
      };
      items.items.set(id, entry);
    }
    return entry;
  };
  for (const box of boxesIn(meta)) {
    const body = boxBody(meta, box);
    switch (box.type) {
      case 'pitm':
        items.primary = body[0] === 0 ? body.readUInt16BE(4) : body.readUInt32BE(4);
        break;
      case 'iinf':
        readItemInfo(body, item);
        break;
      case 'iloc':
        readItemLocations(body, item);
        break;
      case 'iref':
        readItemReferences(body, item);
        break;
      case 'iprp':
        readItemProperties(body, items);
        break;
      default:
        ensure(QUIET_META_BOXES.has(box.type), `${box.type} box in meta`);
    }
  }
  return items;
}

/** iinf: a count, then one `infe` box (version 2 or 3) per item. */
function readItemInfo(body: Buffer, item: (id: number) => Item): void {
  const start = body[0] === 0 ? 6 : 8;
  const count = body[0] === 0 ? body.readUInt16BE(4) : body.readUInt32BE(4);
  const entries = boxesIn(body.subarray(start));
  ensure(entries.length === count, 'item count does not match');
  for (const entry of entries) {
    ensure(entry.type === 'infe', `${entry.type} box in iinf`);
    const infe = boxBody(body.subarray(start), entry);
    const version = infe[0] ?? 0;
    ensure(version === 2 || version === 3, `infe version ${version}`);
    const wide = version === 3;
    const id = wide ? infe.readUInt32BE(4) : infe.readUInt16BE(4);
    let at = wide ? 8 : 6;
    const target = item(id);
    target.protection = infe.readUInt16BE(at);
    target.type = infe.toString('latin1', at + 2, at + 6);
    at += 6;
    const strings = infe.subarray(at).toString('latin1').split('\0');
    if (target.type === 'mime') {
      target.contentType = strings[1];
      if (strings[2]) target.contentEncoding = strings[2];
    }
  }
}

/** An unsigned big-endian integer of 0, 4 or 8 bytes (iloc's field sizes). */
function readSized(body: Buffer, at: number, size: number): number {
  if (size === 0) return 0;
  if (size === 4) return body.readUInt32BE(at);
  ensure(size === 8, `iloc field of ${size} bytes`);
  const value = body.readBigUInt64BE(at);
  ensure(value <= BigInt(Number.MAX_SAFE_INTEGER), 'iloc offset beyond any file');
  return Number(value);
}

/** iloc (ISO/IEC 14496-12 8.11.3): where each item's bytes lie. */
function readItemLocations(body: Buffer, item: (id: number) => Item): void {
  const version = body[0] ?? 0;
  ensure(version <= 2, `iloc version ${version}`);
  const sizes = body.readUInt16BE(4);
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseSize = (sizes >> 4) & 0xf;
  const indexSize = version === 0 ? 0 : sizes & 0xf;
  let at = 6;
  const count = version < 2 ? body.readUInt16BE(at) : body.readUInt32BE(at);
  at += version < 2 ? 2 : 4;
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? body.readUInt16BE(at) : body.readUInt32BE(at);
    at += version < 2 ? 2 : 4;
    const target = item(id);
    if (version > 0) {
      target.construction = body.readUInt16BE(at) & 0xf;
      at += 2;
    }
    target.dataReference = body.readUInt16BE(at);
    target.baseOffset = readSized(body, at + 2, baseSize);
    at += 2 + baseSize;
    const extents = body.readUInt16BE(at);
    at += 2;
    for (let e = 0; e < extents; e++) {
      at += indexSize;
      const offset = readSized(body, at, offsetSize);
      const length = readSized(body, at + offsetSize, lengthSize);
      at += offsetSize + lengthSize;
      target.extents.push({ offset, length });
    }
  }
  ensure(at <= body.length, 'iloc shorter than its entries');
}

/** iref: boxes named by reference type, each from one item to others. */
function readItemReferences(body: Buffer, item: (id: number) => Item): void {
  const wide = body[0] !== 0;
  const inner = body.subarray(4);
  for (const reference of boxesIn(inner)) {
    const ref = boxBody(inner, reference);
    const id = (at: number): number => (wide ? ref.readUInt32BE(at) : ref.readUInt16BE(at));
    const size = wide ? 4 : 2;
    const from = item(id(0));
    const count = ref.readUInt16BE(size);
    ensure(ref.length === size + 2 + count * size, 'iref entry of the wrong size');
    for (let i = 0; i < count; i++) from.refersTo.add(id(size + 2 + i * size));
  }
}

/** iprp: the property container (ipco) and the associations of items to properties (ipma). */
function readItemProperties(body: Buffer, items: Items): void {
  for (const box of boxesIn(body)) {
    const inner = boxBody(body, box);
    if (box.type === 'ipco') {
      for (const property of boxesIn(inner)) {
        items.properties.push({ type: property.type, body: boxBody(inner, property) });
      }
    } else {
      ensure(box.type === 'ipma', `${box.type} box in iprp`);
      readAssociations(inner, items.associations);
    }
  }
}

function readAssociations(ipma: Buffer, associations: Map<number, number[]>): void {
  const wideIds = ipma[0] !== 0;
  const wideIndexes = (ipma[3] ?? 0) & 1;
  const count = ipma.readUInt32BE(4);
  let at = 8;
  for (let i = 0; i < count; i++) {
    const id = wideIds ? ipma.readUInt32BE(at) : ipma.readUInt16BE(at);
    at += wideIds ? 4 : 2;
    const n = ipma.readUInt8(at);
    at += 1;
    const indexes = associations.get(id) ?? [];
    for (let k = 0; k < n; k++) {
      indexes.push(wideIndexes ? ipma.readUInt16BE(at) & 0x7fff : ipma.readUInt8(at) & 0x7f);
      at += wideIndexes ? 2 : 1;
    }
    associations.set(id, indexes);
  }
  ensure(at === ipma.length, 'ipma of the wrong size');
}

/**
 * The tags of the Exif item, if there is one. exiftool reads every Exif, XMP (by MIME type)
 * and PLIST (`uri `) item; only a single Exif item of the primary image, stored plainly in
 * this file, is read here, beside XMP items that name nothing asked for (an iPhone's HDR
 * gain map has one: xmp-packet.ts).
 */
async function readExif(file: BmffFile, items: Items): Promise<ReturnType<typeof readTiffTags>> {
  const exif: Item[] = [];
  for (const [, item] of [...items.items].sort(([a], [b]) => a - b)) {
    ensure(item.type !== 'uri ', 'uri item');
    if (item.type === 'mime' && item.contentType === 'application/rdf+xml') {
      ensure(xmpHoldsNothingAsked(await itemBytes(file, item, 'XMP')), 'XMP item naming a tag');
    }
    if (item.type === 'Exif') exif.push(item);
  }
  ensure(exif.length <= 1, 'several Exif items');
  const [item] = exif;
  if (!item) return null;
  const primary = items.primary;
  // Exif describing another image is a sub-document for exiftool.
  ensure(
    primary === undefined || item.refersTo.size === 0 || item.refersTo.has(primary),
    'Exif of another image',
  );
  const data = await itemBytes(file, item, 'Exif');
  ensure(data.length >= 4, 'short Exif item');
  // exiftool warns about an Exif item without its header-size word, or with "Exif\0\0" first.
  ensure(
    !/^(MM\0\x2a|II\x2a\0|Exif\0\0)/.test(data.toString('latin1', 0, 6)),
    'Exif header missing',
  );
  const start = 4 + data.readUInt32BE(0);
  ensure(start <= data.length, 'invalid Exif header');
  const tiff = readTiffTags(data.subarray(start));
  ensure(tiff, 'Exif the TIFF reader declined');
  return tiff;
}

/** An item's bytes, when stored plainly in this file (no encoding, protection or reference). */
async function itemBytes(file: BmffFile, item: Item, what: string): Promise<Buffer> {
  ensure(!item.contentEncoding && item.protection === 0, `encoded or protected ${what}`);
  ensure(item.construction === 0 && item.dataReference === 0, `${what} stored elsewhere`);
  ensure(item.extents.length > 0, `${what} item without extents`);
  let total = 0;
  const parts: Buffer[] = [];
  for (const { offset, length } of item.extents) {
    ensure(length > 0, `${what} extent of unknown length`);
    total += length;
    ensure(total <= LIMITS.maxItemBytes, `${what} item too large`);
    const part = await file.source.read(item.baseOffset + offset, length);
    ensure(part.length === length, `file shorter than its ${what} item`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/**
 * "W H" of the primary item's `ispe` property, as exiftool's ImageWidth and ImageHeight (it
 * takes them from the `ispe` of the primary only, or of no item at all).
 */
function primarySize(items: Items): string | null {
  const associated = new Set([...items.associations.values()].flat());
  const primary = new Set(items.primary === undefined ? [] : items.associations.get(items.primary));
  const sizes: string[] = [];
  items.properties.forEach((property, i) => {
    if (property.type !== 'ispe') return;
    const index = i + 1;
    if (associated.has(index) && !primary.has(index)) return;
    const { body } = property;
    ensure(body.length >= 12 && body.readUInt32BE(0) === 0, 'unusual ispe');
    const width = body.readUInt32BE(4);
    const height = body.readUInt32BE(8);
    ensure(width > 0 && height > 0, 'empty image size');
    sizes.push(`${width} ${height}`);
  });
  ensure(sizes.length <= 1, 'several sizes for the primary image');
  return sizes[0] ?? null;
}

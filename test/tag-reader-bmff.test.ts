import { copyFile, mkdtemp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WriteTags } from 'exiftool-vendored';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seeded } from '../bench/lib/crash.js';
import { writeVideo } from '../bench/lib/photos.js';
import {
  createBatchReader,
  createExifTool,
  type BatchReader,
  type ExifTool,
  type RawTags,
} from '../src/lib/exiftool.js';
import type { FoundTag } from '../src/lib/tag-reader/found-tag.js';
import { FileBytes } from '../src/lib/tag-reader/file-bytes.js';
import type { ByteSource } from '../src/lib/tag-reader/iso-bmff.js';
import { readIsoBmffTags } from '../src/lib/tag-reader/bmff.js';
import { readNativelyEveryWay } from './support/tag-reading.js';
import { READ_ARGS } from '../src/pipeline/exif.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

// The native reader of ISO base media files (MOV, MP4, 3GP, HEIC) against the real exiftool with the
// pipeline's READ_ARGS: for every file it either declines (null) or gives exiftool's RawTags,
// same keys in the same order, same values. Files are the corpus's videos (read in place,
// skipped plainly when the corpus is absent) and files made here box by box, the way cameras,
// phones and exiftool itself write them.

/**
 * The batch reader's own fields; exiftool's Warning is compared like any tag, so a file the
 * reader takes is one exiftool has nothing to warn about.
 */
const NOT_COMPARED = new Set(['SourceFile', 'errors', 'warnings']);

let exiftool: ExifTool;
let reader: BatchReader;
let dir: string;

beforeAll(async () => {
  exiftool = createExifTool({ maxProcs: 1 });
  reader = createBatchReader(exiftool, [...READ_ARGS]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'photosortd-bmff-'));
});

afterAll(async () => {
  await exiftool.end();
  await rm(dir, { recursive: true, force: true });
});

/** The ISO-BMFF reader's tags, counting the reads it asks for and the bytes they cover. */
async function readCounting(
  file: string,
): Promise<{ found: FoundTag[] | null; reads: number; bytes: number }> {
  const inner = await FileBytes.open(file);
  try {
    let reads = 0;
    let bytes = 0;
    const counting: ByteSource = {
      size: inner.size,
      async read(position, length) {
        reads += 1;
        bytes += length;
        return inner.read(position, length);
      },
    };
    return {
      found: await readIsoBmffTags(counting, path.extname(file).toLowerCase()),
      reads,
      bytes,
    };
  } finally {
    await inner.close();
  }
}

async function exiftoolTags(file: string): Promise<RawTags> {
  const raw = await reader.read(file);
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !NOT_COMPARED.has(key)));
}

/**
 * Asserts the native read of `file` is null or exiftool's tags exactly (keys in order);
 * returns whether it was read natively.
 */
async function assertEquivalent(file: string): Promise<boolean> {
  const [tags, expected] = await Promise.all([readNativelyEveryWay(file), exiftoolTags(file)]);
  if (tags === null) return false;
  expect({ file, keys: Object.keys(tags) }).toEqual({ file, keys: Object.keys(expected) });
  expect({ file, tags }).toEqual({ file, tags: expected });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Building files box by box.

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((value, i) => out.writeUInt32BE(value >>> 0, 4 * i));
  return out;
}

/** Seconds since 1904 (QuickTime's epoch) of an ISO UTC time. */
function qt(iso: string): number {
  return Date.parse(iso) / 1000 + 2_082_844_800;
}

function ftyp(brand: string, ...compatible: string[]): Buffer {
  return box(
    'ftyp',
    Buffer.from(brand, 'latin1'),
    u32(0),
    Buffer.from(compatible.join(''), 'latin1'),
  );
}

function mvhd(created: number, modified = created): Buffer {
  const body = Buffer.alloc(100);
  body.writeUInt32BE(created, 4);
  body.writeUInt32BE(modified, 8);
  body.writeUInt32BE(600, 12);
  body.writeUInt32BE(6000, 16);
  body.writeUInt32BE(0x00010000, 20);
  body.writeUInt32BE(0x00010000, 36);
  body.writeUInt32BE(0x00010000, 52);
  body.writeUInt32BE(0x40000000, 68);
  body.writeUInt32BE(3, 96);
  return box('mvhd', body);
}

/** A version-1 mvhd: 64-bit dates. */
function mvhd64(created: number): Buffer {
  const body = Buffer.alloc(112);
  body[0] = 1;
  body.writeBigUInt64BE(BigInt(created), 4);
  body.writeBigUInt64BE(BigInt(created), 12);
  body.writeUInt32BE(600, 20);
  body.writeBigUInt64BE(6000n, 24);
  return box('mvhd', body);
}

interface TrackSpec {
  handler: string;
  created: number;
  width?: number;
  height?: number;
  /** The sample description box's body: none (count 0) by default. */
  sampleDescriptions?: Buffer;
}

function trak(spec: TrackSpec, id: number): Buffer {
  const tkhd = Buffer.alloc(84);
  tkhd.writeUInt32BE(0x0000000f, 0);
  tkhd.writeUInt32BE(spec.created, 4);
  tkhd.writeUInt32BE(spec.created, 8);
  tkhd.writeUInt32BE(id, 12);
  tkhd.writeUInt32BE(0x00010000, 40);
  tkhd.writeUInt32BE(0x00010000, 56);
  tkhd.writeUInt32BE(0x40000000, 72);
  tkhd.writeUInt32BE((spec.width ?? 0) * 65536, 76);
  tkhd.writeUInt32BE((spec.height ?? 0) * 65536, 80);
  const mdhd = Buffer.alloc(24);
  mdhd.writeUInt32BE(spec.created, 4);
  mdhd.writeUInt32BE(spec.created, 8);
  mdhd.writeUInt32BE(600, 12);
  mdhd.writeUInt32BE(6000, 16);
  mdhd.writeUInt16BE(0x55c4, 20);
  const hdlr = Buffer.concat([
    u32(0, 0),
    Buffer.from(spec.handler, 'latin1'),
    u32(0, 0, 0),
    Buffer.from('Core Media\0'),
  ]);
  const minf = box(
    'minf',
    box(spec.handler === 'soun' ? 'smhd' : 'vmhd', u32(0, 0)),
    box('dinf', box('dref', u32(0, 1), box('url ', u32(1)))),
    box(
      'stbl',
      box('stsd', spec.sampleDescriptions ?? u32(0, 0)),
      box('stts', u32(0, 0)),
      box('stsc', u32(0, 0)),
      box('stsz', u32(0, 0, 0)),
      box('stco', u32(0, 0)),
    ),
  );
  return box(
    'trak',
    box('tkhd', tkhd),
    box('edts', box('elst', u32(0, 0))),
    box('mdia', box('mdhd', mdhd), box('hdlr', hdlr), minf),
  );
}

/** Apple's movie-level metadata: an mdta handler, the key names, one UTF-8 item per key. */
function keysMeta(entries: [string, string][]): Buffer {
  const hdlr = box('hdlr', u32(0, 0), Buffer.from('mdta'), u32(0, 0, 0), Buffer.from([0]));
  const keys = box(
    'keys',
    u32(0, entries.length),
    ...entries.map(([key]) => {
      const name = Buffer.from(key, 'latin1');
      return Buffer.concat([u32(8 + name.length), Buffer.from('mdta'), name]);
    }),
  );
  const items = entries.map(([, value], i) => {
    const data = box('data', u32(1, 0), Buffer.from(value, 'utf8'));
    const item = Buffer.concat([u32(8 + data.length, i + 1), data]);
    return item;
  });
  return box('meta', hdlr, keys, box('ilst', ...items));
}

/** A QuickTime international-text user-data item (one string, language 'und'). */
function textItem(type: string, text: string): Buffer {
  const value = Buffer.from(text, 'latin1');
  const head = Buffer.alloc(4);
  head.writeUInt16BE(value.length, 0);
  head.writeUInt16BE(0x55c4, 2);
  return box(type, head, value);
}

function mdat(bytes: number): Buffer {
  return box('mdat', Buffer.alloc(bytes, 0x5a));
}

const CREATED = qt('2023-06-15T10:20:30Z');
const VIDEO: TrackSpec = { handler: 'vide', created: CREATED, width: 1920, height: 1080 };
const SOUND: TrackSpec = { handler: 'soun', created: CREATED };

/** An iPhone-like Live Photo MOV: keys with content identifier, a timed-metadata track. */
function livePhotoMov(): Buffer {
  return Buffer.concat([
    ftyp('qt  ', 'qt  '),
    box('wide'),
    mdat(4096),
    box(
      'moov',
      mvhd(CREATED),
      trak(SOUND, 1),
      trak(VIDEO, 2),
      trak({ handler: 'meta', created: CREATED }, 3),
      keysMeta([
        ['com.apple.quicktime.location.accuracy.horizontal', '4.735'],
        ['com.apple.quicktime.live-photo.auto', '1'],
        ['com.apple.quicktime.content.identifier', '6F3A1E0B-7C2D-4E5F-9A8B-1C2D3E4F5A6B'],
        ['com.apple.quicktime.location.ISO6709', '+38.7223-009.1393+045.123/'],
        ['com.apple.quicktime.make', 'Apple'],
        ['com.apple.quicktime.model', 'iPhone 12 mini'],
        ['com.apple.quicktime.software', '16.5'],
        ['com.apple.quicktime.creationdate', '2023-06-15T11:20:28+0100'],
      ]),
    ),
  ]);
}

// ---------------------------------------------------------------------------------------------
// HEIF images: item boxes around an Exif item (a TIFF stream sharp wrote) and fake image data
// (exiftool does not decode the image).

/** The TIFF stream of the EXIF sharp writes into a JPEG. */
async function exifTiff(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'Apple', Model: 'iPhone 15 Pro' },
      IFD2: { DateTimeOriginal: '2024:01:02 03:04:05', OffsetTimeOriginal: '+01:00' },
    })
    .toBuffer();
  const at = jpeg.indexOf('Exif\0\0');
  return jpeg.subarray(at + 6, at - 2 + jpeg.readUInt16BE(at - 2));
}

/** The XMP item of an iPhone 13's HEIC: its HDR gain map's version, nothing asked for. */
const GAIN_MAP_XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">
   <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description rdf:about=""
            xmlns:xmp="http://ns.adobe.com/xap/1.0/"
            xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/"
            HDRGainMap:HDRGainMapVersion="65536"/>
   </rdf:RDF>
</x:xmpmeta>`;

interface HeicSpec {
  brand?: string;
  exif?: Buffer | null;
  /** Where the Exif item points (iref cdsc); the primary image (1) by default. */
  exifDescribes?: number;
  /** iloc version 1 with construction method 1 (in idat) for the Exif item. */
  exifInIdat?: boolean;
  /** An XMP item (mime, application/rdf+xml) besides, holding this packet. */
  xmp?: string;
}

function fullBox(type: string, version: number, ...parts: Buffer[]): Buffer {
  return box(type, u32(version << 24), ...parts);
}

function u16(...values: number[]): Buffer {
  const out = Buffer.alloc(2 * values.length);
  values.forEach((value, i) => out.writeUInt16BE(value, 2 * i));
  return out;
}

/** A HEIC image: item 1 the primary (hvc1, 4032×3024), item 2 Exif, item 3 XMP if asked. */
function heic(spec: HeicSpec): Buffer {
  const image = Buffer.alloc(64, 0x33);
  const exif = spec.exif
    ? Buffer.concat([u32(6), Buffer.from('Exif\0\0', 'latin1'), spec.exif])
    : null;
  const xmp = spec.xmp ? Buffer.from(spec.xmp, 'utf8') : null;
  const infe = (id: number, type: string, extra = ''): Buffer =>
    fullBox('infe', 2, u16(id, 0), Buffer.from(`${type}\0${extra}`, 'latin1'));
  const entries = [
    infe(1, 'hvc1'),
    ...(exif ? [infe(2, 'Exif')] : []),
    ...(xmp ? [infe(3, 'mime', 'application/rdf+xml\0')] : []),
  ];
  const build = (dataStart: number): Buffer => {
    const located: [number, number, Buffer][] = [[1, 0, image]];
    if (exif) located.push([2, spec.exifInIdat ? 1 : 0, exif]);
    if (xmp) located.push([3, 0, xmp]);
    let offset = dataStart;
    const iloc = fullBox(
      'iloc',
      1,
      u16(0x4400, located.length),
      ...located.map(([id, method, bytes]) => {
        const at = method === 1 ? 0 : offset;
        if (method === 0) offset += bytes.length;
        return Buffer.concat([u16(id, method, 0, 1), u32(at, bytes.length)]);
      }),
    );
    const ispe = fullBox('ispe', 0, u32(4032, 3024));
    const thumbIspe = fullBox('ispe', 0, u32(320, 240));
    return fullBox(
      'meta',
      0,
      box('hdlr', u32(0, 0), Buffer.from('pict'), u32(0, 0, 0), Buffer.from([0])),
      fullBox('pitm', 0, u16(1)),
      fullBox('iinf', 0, u16(entries.length), ...entries),
      iloc,
      ...(exif ? [fullBox('iref', 0, box('cdsc', u16(2, 1, spec.exifDescribes ?? 1)))] : []),
      box(
        'iprp',
        box('ipco', ispe, thumbIspe),
        fullBox('ipma', 0, u32(2), u16(1), Buffer.from([1, 0x81]), u16(4), Buffer.from([1, 0x82])),
      ),
      ...(spec.exifInIdat && exif ? [box('idat', exif)] : []),
    );
  };
  const head = ftyp(spec.brand ?? 'heic', 'mif1', 'heic');
  const probe = build(0);
  const dataStart = head.length + probe.length + 8;
  const payload = [image, ...(exif && !spec.exifInIdat ? [exif] : []), ...(xmp ? [xmp] : [])];
  return Buffer.concat([head, build(dataStart), box('mdat', ...payload)]);
}

/** Generated files: name → bytes, and whether the native reader must read it. */
function generatedFiles(tiff: Buffer): { name: string; bytes: Buffer; native: boolean }[] {
  const movie = box('moov', mvhd(CREATED), trak(VIDEO, 1), trak(SOUND, 2));
  return [
    {
      name: 'moov-first.mp4',
      bytes: Buffer.concat([ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41'), movie, mdat(1000)]),
      native: true,
    },
    {
      // Padding as cameras write it; a free box with content exiftool may read is declined.
      name: 'free-padding.mp4',
      bytes: Buffer.concat([
        ftyp('mp42', 'mp42'),
        box('free', Buffer.alloc(2000)),
        movie,
        mdat(10),
      ]),
      native: true,
    },
    {
      name: 'free-with-content.mp4',
      bytes: Buffer.concat([
        ftyp('mp42', 'mp42'),
        box('free', Buffer.from('Pittasoft')),
        movie,
        mdat(10),
      ]),
      native: false,
    },
    {
      name: 'moov-after-mdat.mp4',
      bytes: Buffer.concat([ftyp('mp42', 'isom', 'mp42'), mdat(5000), movie]),
      native: true,
    },
    {
      name: 'mdat-64-bit-size.mp4',
      bytes: Buffer.concat([
        ftyp('isom', 'isom', 'mp41'),
        u32(1),
        Buffer.from('mdat'),
        u32(0, 16 + 300),
        Buffer.alloc(300, 7),
        movie,
      ]),
      native: true,
    },
    {
      name: 'no-mvhd.mp4',
      bytes: Buffer.concat([ftyp('mp42', 'mp41'), box('moov', trak(VIDEO, 1)), mdat(100)]),
      native: true,
    },
    { name: 'no-moov.mp4', bytes: Buffer.concat([ftyp('isom', 'isom'), mdat(100)]), native: true },
    {
      name: 'zero-dates.mov',
      bytes: Buffer.concat([
        ftyp('qt  ', 'qt  '),
        box('moov', mvhd(0), trak({ ...VIDEO, created: 0 }, 1)),
        mdat(10),
      ]),
      native: true,
    },
    {
      name: 'version-1-mvhd.mp4',
      bytes: Buffer.concat([
        ftyp('mp42', 'mp42'),
        box('moov', mvhd64(CREATED), trak(VIDEO, 1)),
        mdat(10),
      ]),
      native: true,
    },
    { name: 'live-photo.mov', bytes: livePhotoMov(), native: true },
    {
      // A sample table claiming an entry it lacks: exiftool warns in the track's group.
      name: 'cut-sample-table.mov',
      bytes: Buffer.concat([
        ftyp('qt  ', 'qt  '),
        box('moov', mvhd(CREATED), trak({ ...VIDEO, sampleDescriptions: u32(0, 1) }, 1)),
        mdat(10),
      ]),
      native: false,
    },
    // exiftool names a QuickTime movie by another extension of its family ("MP4", with the
    // MIME type of a MOV): declined.
    { name: 'live-photo-named.mp4', bytes: livePhotoMov(), native: false },
    {
      name: 'user-data.3gp',
      bytes: Buffer.concat([
        ftyp('3gp5', '3gp5', '3gp4', 'isom'),
        box(
          'moov',
          mvhd(CREATED),
          trak(VIDEO, 1),
          box(
            'udta',
            box('date', Buffer.from('2023-06-15T12:20:28+0200')),
            textItem('\xa9mak', 'Nokia'),
            textItem('\xa9mod', 'N95'),
            textItem('\xa9xyz', '-33.8688+151.2093/'),
          ),
        ),
        mdat(10),
      ]),
      native: true,
    },
    {
      // An Android phone's: position in udta, keys of its own, an encoder item list (mdir).
      name: 'android.mp4',
      bytes: Buffer.concat([
        ftyp('isom', 'isom', 'iso2', 'mp41'),
        box(
          'moov',
          mvhd(CREATED),
          trak(VIDEO, 1),
          trak(SOUND, 2),
          box(
            'udta',
            textItem('\xa9xyz', '+48.85661234567890123+002.3522/'),
            // Samsung's maker box: its model is SamsungModel, not Model.
            box('smta', u32(0), box('saut', u32(0)), box('mdln', Buffer.from('SM-S918B'))),
            fullBox(
              'meta',
              0,
              box('hdlr', u32(0, 0), Buffer.from('mdir'), u32(0, 0, 0), Buffer.from([0])),
              box('ilst', box('\xa9too', box('data', u32(1, 0), Buffer.from('Lavf58.29.100')))),
            ),
          ),
          keysMeta([
            ['com.android.version', '14'],
            ['com.android.capture.fps', '30.000000'],
          ]),
        ),
        mdat(10),
      ]),
      native: true,
    },
    {
      // A 3GPP location whose latitude (40.015625) lies half-way between two 5-decimal
      // values: exiftool rounds it away from zero before printing, not to even.
      name: 'location.3gp',
      bytes: Buffer.concat([
        ftyp('3gp4', '3gp4', 'isom'),
        box(
          'moov',
          mvhd(CREATED),
          box(
            'udta',
            box(
              'loci',
              u32(0),
              u16(0x55c4),
              Buffer.from('Home\0'),
              Buffer.from([0]),
              u32(Math.round(-3.5 * 65536), 1024 + 65536 * 40, 0),
              Buffer.from('earth\0\0'),
            ),
          ),
        ),
        mdat(10),
      ]),
      native: true,
    },
    {
      name: 'sound-only.m4a',
      bytes: Buffer.concat([
        ftyp('mp42', 'isom', 'mp42'),
        box('moov', mvhd(CREATED), trak(SOUND, 1)),
        mdat(10),
      ]),
      native: true,
    },
    {
      name: 'm4v-brand.m4v',
      bytes: Buffer.concat([ftyp('M4V ', 'M4V ', 'mp42'), movie, mdat(10)]),
      native: true,
    },
    // A date counted from 1970 instead of 1904: exiftool takes it so.
    {
      name: 'date-from-1970.mov',
      bytes: Buffer.concat([ftyp('qt  ', 'qt  '), box('moov', mvhd(1_600_000_000)), mdat(10)]),
      native: true,
    },
    // A maker box the reader does not parse: declined.
    {
      name: 'maker-box.mp4',
      bytes: Buffer.concat([
        ftyp('mp42', 'mp42'),
        box('moov', mvhd(CREATED), box('udta', box('TAGS', Buffer.alloc(40)))),
        mdat(10),
      ]),
      native: false,
    },
    // Zero bytes, no ftyp, a box header cut short: declined.
    { name: 'zero-bytes.mp4', bytes: Buffer.alloc(0), native: false },
    {
      name: 'no-ftyp.mov',
      bytes: Buffer.concat([box('moov', mvhd(CREATED)), mdat(10)]),
      native: false,
    },
    {
      name: 'cut-header.mp4',
      bytes: Buffer.concat([ftyp('mp42', 'mp42'), movie, Buffer.from([0, 0, 1])]),
      native: false,
    },
    { name: 'exif.heic', bytes: heic({ exif: tiff }), native: true },
    { name: 'no-exif.heic', bytes: heic({}), native: true },
    { name: 'mif1-brand.heif', bytes: heic({ brand: 'mif1', exif: tiff }), native: true },
    // An XMP item naming nothing asked for (an iPhone's HDR gain map) is passed over.
    { name: 'xmp-gain-map.heic', bytes: heic({ exif: tiff, xmp: GAIN_MAP_XMP }), native: true },
    // Exif in idat, Exif of the thumbnail, an XMP item with a date: left to exiftool.
    { name: 'exif-in-idat.heic', bytes: heic({ exif: tiff, exifInIdat: true }), native: false },
    {
      name: 'exif-of-thumbnail.heic',
      bytes: heic({ exif: tiff, exifDescribes: 4 }),
      native: false,
    },
    {
      name: 'xmp-dated-item.heic',
      bytes: heic({
        exif: tiff,
        xmp: GAIN_MAP_XMP.replace(
          'HDRGainMap:',
          'xmp:CreateDate="2021-05-06T07:08:09" HDRGainMap:',
        ),
      }),
      native: false,
    },
  ];
}

describe('native QuickTime/MP4 tag reader against exiftool', () => {
  const outcomes = new Map<string, boolean>();

  it('reads the videos among the project fixtures as exiftool does', async () => {
    // Real camera files that ship with the project, so this holds without the corpus too.
    for (const name of ['dn_with-gps.mov', 'ft_fixture2.3gp']) {
      const native = await assertEquivalent(path.join(FIXTURES, name));
      outcomes.set(`fixtures/${name}`, native);
      expect({ name, native }).toEqual({ name, native: true });
    }
  });

  it.skipIf(!HAS_CORPUS)('reads the corpus videos as exiftool does (corpus present)', async () => {
    const files = (await readdir(CORPUS_DEV)).filter((name) =>
      /\.(mov|mp4|3gp|m4v|heic|heif)$/i.test(name),
    );
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const name of files) {
      const native = await assertEquivalent(path.join(CORPUS_DEV, name));
      outcomes.set(`corpus/${name}`, native);
      // The videos must be read natively; HEICs may decline (maker notes, XMP items).
      if (!/\.hei[cf]$/i.test(name)) expect({ name, native }).toEqual({ name, native: true });
    }
  });

  it('reads an AVIF image as libheif writes it (through sharp)', async () => {
    const file = path.join(dir, 'sharp.avif');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
      .avif()
      .withExif({
        IFD0: { Make: 'Samsung', Model: 'SM-S918B' },
        IFD2: { DateTimeOriginal: '2024:05:06 07:08:09' },
      })
      .toFile(file);
    const native = await assertEquivalent(file);
    outcomes.set('sharp.avif', native);
    expect(native).toBe(true);
  });

  it('reads generated files as exiftool does, or declines', async () => {
    for (const { name, bytes, native } of generatedFiles(await exifTiff())) {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      const read = await assertEquivalent(file);
      outcomes.set(name, read);
      expect({ name, native: read }).toEqual({ name, native });
    }
  });

  it('reads files exiftool wrote Keys, UserData and ItemList tags into', async () => {
    const base = path.join(dir, 'bench.mp4');
    await writeVideo(base, 3, 0.05);
    expect(await assertEquivalent(base)).toBe(true);
    const writes: [string, Record<string, unknown>, boolean][] = [
      [
        'keys.mov',
        {
          'Keys:CreationDate': '2021:05:06 07:08:09+02:00',
          'Keys:Make': 'Apple',
          'Keys:Model': 'iPhone 12',
          'Keys:ContentIdentifier': 'A1B2C3',
          'Keys:GPSCoordinates': '40.4168, -3.7038',
        },
        true,
      ],
      [
        'user-data.mp4',
        {
          'UserData:Make': 'GoPro',
          'UserData:Model': 'HERO9',
          'UserData:GPSCoordinates': '-22.9, -43.2',
        },
        true,
      ],
      [
        'item-list.mp4',
        { 'ItemList:Title': 'Holiday', 'ItemList:ContentCreateDate': '2020:01:02 03:04:05' },
        true,
      ],
      ['xmp.mp4', { 'XMP-xmp:CreateDate': '2020:01:02 03:04:05' }, false],
    ];
    for (const [name, tags, native] of writes) {
      const file = path.join(dir, name);
      await copyFile(base, file);
      await exiftool.write(file, tags as WriteTags, { writeArgs: ['-overwrite_original'] });
      const read = await assertEquivalent(file);
      outcomes.set(name, read);
      expect({ name, native: read }).toEqual({ name, native });
    }
  });

  it('gives exiftool tags or declines for damaged copies (seeded byte flips)', async () => {
    // Flips land on box sizes, versions, counts, offsets, dates, text: anywhere in the MOV, and
    // in the HEIC's boxes (its Exif payload is the TIFF reader's, tested in tag-reader.test.ts).
    // The reader must not throw and must not give anything exiftool would not.
    const random = seeded(14);
    const image = heic({ exif: await exifTiff() });
    const damaged: [Buffer, number, string][] = [
      [livePhotoMov(), livePhotoMov().length, '.mov'],
      [image, image.indexOf('mdat') - 4, '.heic'],
    ];
    let index = 0;
    let readNatively = 0;
    for (const [original, span, extension] of damaged) {
      for (let copy = 0; copy < 30; copy++) {
        const bytes = Buffer.from(original);
        for (let flip = 0; flip < 3; flip++) {
          bytes[Math.floor(random() * span)] = Math.floor(random() * 256);
        }
        const file = path.join(dir, `damaged-${index++}${extension}`);
        await writeFile(file, bytes);
        if (await assertEquivalent(file)) readNatively += 1;
      }
    }
    // Flips in media data or in boxes giving no tag leave a copy readable: both paths ran.
    expect(readNatively).toBeGreaterThan(0);
    expect(readNatively).toBeLessThan(index);
  });

  it('declines a truncated video instead of guessing', async () => {
    const file = path.join(dir, 'truncated.mov');
    await writeFile(file, livePhotoMov());
    await truncate(file, (await stat(file)).size - 200);
    expect(await assertEquivalent(file)).toBe(false);
    const mid = path.join(dir, 'truncated-mdat.mp4');
    await writeFile(
      mid,
      Buffer.concat([ftyp('mp42', 'mp42'), box('moov', mvhd(CREATED)), mdat(4000)]),
    );
    await truncate(mid, 2000);
    expect(await assertEquivalent(mid)).toBe(false);
  });

  it('reads a 250 MB video with a few small reads', async () => {
    // A sparse file: the 250 MB of media data cost no disk, and the read must not touch them.
    const file = path.join(dir, 'large.mp4');
    const size = 250_000_000;
    const head = Buffer.concat([
      ftyp('isom', 'isom', 'mp41'),
      u32(1),
      Buffer.from('mdat'),
      u32(0, size),
    ]);
    const tail = box('moov', mvhd(CREATED), trak(VIDEO, 1), trak(SOUND, 2));
    await writeFile(file, head);
    await truncate(file, head.length - 16 + size);
    const handle = await open(file, 'r+');
    await handle.write(tail, 0, tail.length, head.length - 16 + size);
    await handle.close();
    const { found, reads, bytes } = await readCounting(file);
    expect(found).toContainEqual({
      group: 'QuickTime',
      name: 'CreateDate',
      value: '2023:06:15 10:20:30',
    });
    expect(reads).toBeLessThanOrEqual(5);
    expect(bytes).toBeLessThan(8192);
    expect(await assertEquivalent(file)).toBe(true);
  });

  afterAll(() => {
    // Coverage: a reader that declined everything would pass the checks above; this does not.
    const read = [...outcomes.values()].filter(Boolean).length;
    expect(read / outcomes.size).toBeGreaterThanOrEqual(0.65);
  });
});

import { copyFile, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largePhoto, photo, rawSizedPhoto, writeVideo } from '../bench/lib/photos.js';
import {
  createBatchReader,
  createExifTool,
  type ExifTool,
  type RawTags,
} from '../src/lib/exiftool.js';
import { readTagsNatively } from '../src/lib/tag-reader/index.js';
import {
  printFixed,
  printSignificant,
  roundSignificant,
} from '../src/lib/tag-reader/perl-number.js';
import { readTiffTags } from '../src/lib/tag-reader/tiff.js';
import { createExifStage, READ_ARGS } from '../src/pipeline/exif.js';
import { ROOT } from './support/cli.js';
import { exiftoolCli, setContentIdentifier } from './support/companions.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import { readNativelyEveryWay } from './support/tag-reading.js';
import { tempDir } from './support/fs.js';
import { makeJpeg } from './support/media.js';
import { fileJob } from './support/records.js';

// The proof that the in-process tag reader may stand in for exiftool: for every file of the
// shared corpus and every file made here, the real exiftool reads it with the stage's READ_ARGS
// and the native reader either declines (null) or gives the very same JSON object, keys in the
// same order. Only exiftool's SourceFile, its Warning and exiftool-vendored's errors/warnings
// lists are left out: a file the reader takes carries none (docs/ARCHITECTURE.md).

const FIXTURES = join(ROOT, 'test', 'fixtures');
const DATE = '2021:05:06 07:08:09';

/**
 * Files read natively, at least: the reader may learn more, but one that declines more than
 * this (or everything) fails. Counted on the files made here and, apart, on the corpus.
 */
const MIN_NATIVE_GENERATED = 156; // 36 made by hand, and all 120 random ones
/** JPEGs whose GPS IFD holds pseudo-random rationals. */
const RANDOM_GPS_FILES = 60;
/** JPEGs whose IFDs hold pseudo-random texts. */
const RANDOM_TEXT_FILES = 60;
const MIN_NATIVE_CORPUS = 14;

/**
 * The batch reader's own fields; exiftool's Warning is compared like any tag, so a file the
 * reader takes is one exiftool has nothing to warn about.
 */
const NOT_COMPARED = new Set(['SourceFile', 'errors', 'warnings']);

/** exiftool's answer without what the reader does not reproduce. */
function comparable(tags: RawTags): RawTags {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !NOT_COMPARED.has(key)));
}

/** Bytes of `file`'s Exif APP1 TIFF stream start here: after FFD8, APP1 marker+length, `Exif\0\0`. */
async function exifStart(bytes: Buffer): Promise<number> {
  const at = bytes.indexOf(Buffer.from('Exif\0\0', 'latin1'));
  if (at < 0) throw new Error('no Exif APP1');
  return at + 6;
}

describe('native tag reader against exiftool', () => {
  let dir: string;
  const exiftool = createExifTool();
  const reader = createBatchReader(exiftool, [...READ_ARGS]);
  const generated: string[] = [];

  /** Writes `bytes` as `name` in the temporary folder and lists it as a case. */
  async function made(name: string, bytes: Buffer | Promise<Buffer>): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, await bytes);
    generated.push(path);
    return path;
  }

  /** A copy of `source` named `name`, changed by exiftool with `args`. */
  async function written(name: string, source: string, args: string[]): Promise<string> {
    const path = join(dir, name);
    await copyFile(source, path);
    exiftoolCli(['-q', '-overwrite_original', ...args, path]);
    generated.push(path);
    return path;
  }

  /**
   * Whether the reader took `file`; fails the test when it took it and its answer is not
   * exiftool's, or when it threw.
   */
  async function check(file: string): Promise<boolean> {
    const native = await readNativelyEveryWay(file);
    const answer = await reader.read(file).then(comparable, () => null);
    if (native === null) return false;
    expect(answer, `${file}: exiftool cannot read what the reader read`).not.toBeNull();
    expect(Object.entries(native), file).toEqual(Object.entries(answer ?? {}));
    return true;
  }

  beforeAll(async () => {
    dir = await tempDir('photosortd-tag-reader-');
    // What the bench reads (bench/lib/photos.js): small and 12 MP JPEGs, a 25 MB TIFF, an MP4.
    await made('bench-small.jpg', photo(7));
    await made('bench-12mp.jpg', largePhoto(3));
    await made('bench-raw.tif', rawSizedPhoto(5));
    const video = join(dir, 'bench-video.mp4');
    await writeVideo(video, 2, 1);
    generated.push(video);

    const plain = await made(
      'plain.jpg',
      makeJpeg({ date: '2021:05:06 07:08:09', make: 'Cam', model: 'One  ', seed: 1 }),
    );
    await written('dates.jpg', plain, [
      '-OffsetTimeOriginal=+05:30',
      '-OffsetTime=-03:00',
      '-OffsetTimeDigitized=+00:00',
      '-SubSecTimeOriginal=042',
      '-SubSecTimeDigitized=5  ',
      '-CreateDate=2021:05:06 07:08:10',
      '-ModifyDate=2022:01:01 00:00:00',
    ]);
    await written('gps-south-west.jpg', plain, [
      '-GPSLatitude=33.8688',
      '-GPSLatitudeRef=S',
      '-GPSLongitude=151.20931234',
      '-GPSLongitudeRef=W',
      '-GPSDateStamp=2020:01:02',
      '-GPSTimeStamp=03:04:05.25',
    ]);
    await written('gps-north-east.jpg', plain, [
      '-GPSLatitude=51.5007',
      '-GPSLatitudeRef=N',
      '-GPSLongitude=0.1246',
      '-GPSLongitudeRef=E',
      '-GPSTimeStamp=23:59:59.9999999999',
      '-GPSDateStamp=2020:12:31',
    ]);
    await written('gps-zero-south.jpg', plain, ['-GPSLatitude=0', '-GPSLatitudeRef=S']);
    await written('gps-no-ref.jpg', plain, ['-GPSLatitude=12.5', '-GPSLongitude=7.25']);
    for (const orientation of [1, 3, 6, 8]) {
      await written(`orientation-${orientation}.jpg`, plain, [`-Orientation#=${orientation}`]);
    }
    const thumbnail = await made('thumbnail-source.jpg', makeJpeg({ seed: 9, width: 16 }));
    await written('thumbnail.jpg', plain, [
      `-ThumbnailImage<=${thumbnail}`,
      '-IFD1:Orientation#=6',
      '-Orientation#=6',
    ]);
    await written('xmp.jpg', plain, ['-XMP-xmp:CreateDate=2019:01:01 10:00:00']);
    // XMP that names nothing asked for is passed over: a rating, a phone's camera mode.
    await written('xmp-rating.jpg', plain, ['-XMP-xmp:Rating=3', '-XMP-dc:Title=Beach']);
    const original = await readFile(plain);
    await made('xmp-motion-photo.jpg', withApp1(original, xmpPacket(MOTION_PHOTO)));
    await made('xmp-not-nested.jpg', withApp1(original, xmpPacket('<GCamera:MicroVideo>1')));
    await made('xmp-date-inside.jpg', withApp1(original, xmpPacket(DATED_MOTION_PHOTO)));
    await made(
      'xmp-twice.jpg',
      withApp1(withApp1(original, xmpPacket(MOTION_PHOTO)), xmpPacket(MOTION_PHOTO)),
    );
    await written('iptc.jpg', plain, [
      '-IPTC:DateCreated=2019:01:01',
      '-IPTC:TimeCreated=10:00:00',
    ]);
    await written('text-number.jpg', plain, ['-Make=1234', '-Model=true']);
    await written('upper-case.JPG', plain, []);
    // Maker notes: Apple's is read for ContentIdentifier, Canon's carries no tag asked for.
    const apple = await written('apple.jpg', join(FIXTURES, 'dn_Issue 508.jpg'), []);
    await setContentIdentifier(apple, 'ID-1');
    await written('apple-as-is.jpg', join(FIXTURES, 'dn_Issue 508.jpg'), []);
    await written('canon.jpg', join(FIXTURES, 'et_Canon1DmkIII.jpg'), []);
    await written('samsung.jpg', join(FIXTURES, 'dn_Samsung GT-I9000 (Galaxy S).jpg'), []);

    const tiff = await made(
      'small.tif',
      sharp({ create: { width: 20, height: 10, channels: 3, background: '#345' } })
        .tiff()
        .toBuffer(),
    );
    await written('tiff-tags.tif', tiff, [
      '-Make=TiffCam',
      '-DateTimeOriginal=2018:03:04 05:06:07',
      '-GPSLatitude=10',
      '-GPSLatitudeRef=S',
      '-GPSLongitude=20',
      '-GPSLongitudeRef=E',
    ]);
    await written('tiff-big-endian.tif', tiff, ['-ExifByteOrder=Big-endian', '-Model=BE']);

    const blank = await makeJpeg({ seed: 3 });
    for (let seed = 1; seed <= RANDOM_GPS_FILES; seed++) {
      await made(`gps-random-${seed}.jpg`, withExif(blank, randomGpsTiff(seed)));
    }

    for (let seed = 1; seed <= RANDOM_TEXT_FILES; seed++) {
      await made(`text-random-${seed}.jpg`, withExif(blank, randomTextTiff(seed)));
    }

    // PNG: plain, palette, EXIF in eXIf, tIME; text chunks (exiftool writes Make into tEXt too).
    const png = await made(
      'plain.png',
      sharp({ create: { width: 30, height: 20, channels: 4, background: '#1234' } })
        .png()
        .toBuffer(),
    );
    const rgb = sharp({ create: { width: 30, height: 20, channels: 3, background: '#123' } });
    await made('palette.png', rgb.clone().png({ palette: true }).toBuffer());
    await made(
      'exif.png',
      rgb
        .clone()
        .png()
        .withExif({ IFD0: { Make: 'P', Model: 'Q' }, IFD2: { DateTimeOriginal: DATE } })
        .toBuffer(),
    );
    await written('time.png', png, ['-PNG:ModifyDate=2022:02:03 04:05:06']);
    await written('creation-time.png', png, ['-PNG:CreationTime=2022:02:03 04:05:06']);
    await written('make-text.png', png, ['-Make=ET', '-GPSLatitude=1.5', '-GPSLatitudeRef=S']);
    const pngBytes = await readFile(png);
    await made('png-cut.png', pngBytes.subarray(0, pngBytes.length - 5));
    await made('png-trailer.png', Buffer.concat([pngBytes, Buffer.from('trailer')]));

    // WebP: lossy, lossless, alpha, ICC, EXIF behind libwebp's `Exif\0\0` header or exiftool's.
    const webp = (alpha: boolean) =>
      sharp({
        create: { width: 37, height: 21, channels: alpha ? 4 : 3, background: '#3456' },
      });
    const lossy = await made('lossy.webp', webp(false).webp().toBuffer());
    await made('lossless.webp', webp(false).webp({ lossless: true }).toBuffer());
    await made('alpha.webp', webp(true).webp().toBuffer());
    await made('alpha-lossless.webp', webp(true).webp({ lossless: true }).toBuffer());
    await made('icc.webp', webp(false).webp().withIccProfile('p3').toBuffer());
    await made(
      'exif.webp',
      webp(false)
        .webp()
        .withExif({ IFD0: { Make: 'W', Orientation: '6' }, IFD2: { DateTimeOriginal: DATE } })
        .toBuffer(),
    );
    await written('exif-by-exiftool.webp', lossy, [
      '-Make=ET',
      '-GPSLatitude=3',
      '-GPSLatitudeRef=S',
    ]);
    await written('xmp.webp', lossy, ['-XMP:CreateDate=2022:02:03 04:05:06']);
    const webpBytes = await readFile(lossy);
    await made('webp-cut.webp', webpBytes.subarray(0, webpBytes.length - 3));

    // Damaged and mislabelled files.
    const dates = await readFile(join(dir, 'dates.jpg'));
    const tiffStart = await exifStart(dates);
    for (const cut of [0, 2, 5, 30, tiffStart + 10, tiffStart + 40, tiffStart + 200]) {
      await made(`cut-${cut}.jpg`, dates.subarray(0, cut));
    }
    const loop = Buffer.from(dates);
    const le = loop.toString('latin1', tiffStart, tiffStart + 2) === 'II';
    const ifd0 = le ? loop.readUInt32LE(tiffStart + 4) : loop.readUInt32BE(tiffStart + 4);
    const entries = le ? loop.readUInt16LE(tiffStart + ifd0) : loop.readUInt16BE(tiffStart + ifd0);
    const link = tiffStart + ifd0 + 2 + entries * 12;
    if (le) loop.writeUInt32LE(ifd0, link);
    else loop.writeUInt32BE(ifd0, link);
    await made('ifd-loop.jpg', loop);
    const far = Buffer.from(dates);
    if (le) far.writeUInt32LE(0x7fffff00, tiffStart + 4);
    else far.writeUInt32BE(0x7fffff00, tiffStart + 4);
    await made('ifd0-out-of-range.jpg', far);
    await made('zero-bytes.jpg', Buffer.alloc(0));
    await made('jpeg-named.tif', readFile(plain));
    await made('tiff-named.jpg', readFile(tiff));
    await made('jpeg-named.png', readFile(plain));
  }, 120_000);

  afterAll(async () => {
    await exiftool.end();
    // The bench's TIFF and 12 MP JPEG alone are 30 MB.
    await rm(dir, { recursive: true, force: true });
  });

  it('gives exiftool’s tags, in its order, for every generated file it takes', async () => {
    let native = 0;
    for (const file of generated) if (await check(file)) native += 1;
    expect(native).toBeGreaterThanOrEqual(MIN_NATIVE_GENERATED);
  }, 120_000);

  it('reads the files the bench reads (small and 12 MP JPEGs, a 25 MB TIFF)', async () => {
    for (const name of ['bench-small.jpg', 'bench-12mp.jpg', 'bench-raw.tif']) {
      expect(await check(join(dir, name)), name).toBe(true);
    }
  });

  it('reads a JPEG whose XMP names nothing asked for, as exiftool does', async () => {
    for (const name of ['xmp-rating.jpg', 'xmp-motion-photo.jpg']) {
      expect(await check(join(dir, name)), name).toBe(true);
    }
  });

  it('reads Apple’s ContentIdentifier from the maker notes, as exiftool names it', async () => {
    const tags = await readTagsNatively(join(dir, 'apple.jpg'), READ_ARGS);
    expect(tags?.['Apple:ContentIdentifier']).toBe('ID-1');
  });

  it('declines what it cannot render exactly: XMP, IPTC, damage, mislabelled files', async () => {
    const declined = [
      'xmp.jpg',
      'xmp-not-nested.jpg',
      'xmp-date-inside.jpg',
      'xmp-twice.jpg',
      'iptc.jpg',
      'ifd-loop.jpg',
      'ifd0-out-of-range.jpg',
      'zero-bytes.jpg',
      'jpeg-named.tif',
      'tiff-named.jpg',
      'jpeg-named.png',
      'gps-zero-south.jpg',
      'creation-time.png',
      'make-text.png',
      'png-cut.png',
      'png-trailer.png',
      'xmp.webp',
      'webp-cut.webp',
      ...[0, 2, 5, 30].map((cut) => `cut-${cut}.jpg`),
    ];
    for (const name of declined) {
      expect(await readTagsNatively(join(dir, name), READ_ARGS), name).toBeNull();
    }
  });

  it('declines arguments it does not answer for, so exiftool gets them', async () => {
    const plain = join(dir, 'plain.jpg');
    expect(await readTagsNatively(plain, [...READ_ARGS, '-Artist'])).toBeNull();
    expect(await readTagsNatively(plain, ['-Orientation'])).toBeNull();
    expect(await readTagsNatively(plain, ['-n', '-Make'])).toBeNull();
    expect(await readTagsNatively(plain, ['-fast', '-G1', '-Make'])).toEqual({
      'IFD0:Make': 'Cam',
    });
  });

  describe.skipIf(!HAS_CORPUS)('over the shared corpus', () => {
    it('gives exiftool’s tags, in its order, for every corpus file it takes', async () => {
      let native = 0;
      for (const name of await readdir(CORPUS_DEV)) {
        if (await check(join(CORPUS_DEV, name))) native += 1;
      }
      expect(native).toBeGreaterThanOrEqual(MIN_NATIVE_CORPUS);
    }, 120_000);
  });
});

describe('exif stage with metadata.reader', () => {
  const exiftool = createExifTool();
  afterAll(() => exiftool.end());

  const iphone = join(FIXTURES, 'dn_Issue 508.jpg');
  const read = (tool: ExifTool, reader: 'auto' | 'exiftool') =>
    createExifStage({ exiftool: tool, dates: ['exif'], timeZone: 'UTC', reader })(fileJob(iphone));

  it('auto reads a plain JPEG without exiftool, to the meta exiftool gives', async () => {
    // An exiftool ended before its first use refuses every read (and starts no process).
    const ended = createExifTool();
    await ended.end();
    const auto = await read(ended, 'auto');
    expect(auto.error).toBeUndefined();
    expect(auto.meta).toEqual((await read(exiftool, 'exiftool')).meta);
    expect(auto.meta?.takenAt?.source).toBe('ExifIFD:DateTimeOriginal');
    // metadata.reader: exiftool does send the file to exiftool, which refuses here.
    expect((await read(ended, 'exiftool')).error?.code).toBe('UNREADABLE');
  });
});

describe('native tag reader on hostile files', () => {
  it('rejects only for a file it cannot open', async () => {
    await expect(readTagsNatively('/nonexistent/missing.jpg', READ_ARGS)).rejects.toThrow(/ENOENT/);
  });

  it('never throws on any cut or corrupted copy of a JPEG with every IFD', async () => {
    const dir = await tempDir('photosortd-tag-reader-');
    const file = join(dir, 'IMG.jpg');
    await writeFile(file, await makeJpeg({ date: '2021:05:06 07:08:09', make: 'Cam', seed: 2 }));
    exiftoolCli(['-q', '-overwrite_original', '-GPSLatitude=1', '-GPSLatitudeRef=N', file]);
    const bytes = await readFile(file);
    const start = await exifStart(bytes);
    const end = bytes.indexOf(Buffer.from([0xff, 0xdb]));
    let seed = 1;
    for (let i = 0; i < 400; i++) {
      const copy = Buffer.from(bytes);
      seed = (seed * 1103515245 + 12345) >>> 0;
      const at = start + (seed % (end - start));
      copy[at] = seed >>> 24;
      await writeFile(file, copy);
      // Null or tags, never a throw: a rejection here would lose the file's read.
      await readTagsNatively(file, READ_ARGS);
    }
    for (let cut = start; cut < end; cut += 7) {
      await writeFile(file, bytes.subarray(0, cut));
      expect(await readTagsNatively(file, READ_ARGS)).toBeNull();
    }
    await truncate(file, 0);
    expect(await readTagsNatively(file, READ_ARGS)).toBeNull();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});

/** One IFD entry of a crafted stream: tag, type, count and the value's bytes. */
type CraftedEntry = [tag: number, type: number, count: number, value: Buffer];

/** A little-endian IFD that will lie at `at` in its stream, its long values placed after it. */
function craftedIfd(entries: CraftedEntry[], at: number, next = 0): Buffer {
  const ifdSize = 2 + entries.length * 12 + 4;
  const ifd = Buffer.alloc(ifdSize);
  const values: Buffer[] = [];
  let valueAt = at + ifdSize;
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, count, value], i) => {
    const entry = 2 + i * 12;
    ifd.writeUInt16LE(tag, entry);
    ifd.writeUInt16LE(type, entry + 2);
    ifd.writeUInt32LE(count, entry + 4);
    if (value.length <= 4) {
      value.copy(ifd, entry + 8);
    } else {
      ifd.writeUInt32LE(valueAt, entry + 8);
      values.push(value);
      valueAt += value.length;
    }
  });
  ifd.writeUInt32LE(next, ifdSize - 4);
  return Buffer.concat([ifd, ...values]);
}

/** A little-endian TIFF stream with IFD0 at 8 holding `entries` and `next` as its link. */
function craftedTiff(entries: CraftedEntry[], next = 0): Buffer {
  return Buffer.concat([Buffer.from('II*\0\x08\0\0\0', 'latin1'), craftedIfd(entries, 8, next)]);
}

/**
 * A TIFF stream whose IFD0 holds only a GPS IFD of position and time stamp made of pseudo-random
 * rationals (`seed`), from 0/1 to 2³²−1 over any denominator: exiftool's rounding of each
 * rational, `ToDegrees` and its printing of the result are what they test.
 */
function randomGpsTiff(seed: number): Buffer {
  let s = seed;
  const next = (n: number): number => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s % n;
  };
  const part = (): number =>
    [next(2 ** 32), next(1000), next(60), 2 ** next(32), 10 ** next(10), next(100_000)][next(6)] ??
    0;
  const rationals = (): Buffer => {
    const b = Buffer.alloc(24);
    for (let k = 0; k < 3; k++) {
      b.writeUInt32LE(part() >>> 0, k * 8);
      b.writeUInt32LE(part() >>> 0 || 1, k * 8 + 4);
    }
    return b;
  };
  const gps: CraftedEntry[] = [
    [0x0001, 2, 2, ascii(next(2) ? 'S' : 'N')],
    [0x0002, 5, 3, rationals()],
    [0x0003, 2, 2, ascii(next(2) ? 'W' : 'E')],
    [0x0004, 5, 3, rationals()],
    [0x0007, 5, 3, rationals()],
    [0x001d, 2, 11, ascii('2020:01:02')],
  ];
  const ifd0 = craftedIfd([[0x8825, 4, 1, long(26)]], 8);
  return Buffer.concat([Buffer.from('II*\0\x08\0\0\0', 'latin1'), ifd0, craftedIfd(gps, 26)]);
}

/** Pieces of the texts {@link randomTextTiff} writes: what trimming and JSON typing meet. */
const TEXT_PIECES = [
  ...['0', '1', '00', '081', '892', '1.5', '-0', '1234567890123456', '12345678901234'],
  ...[' ', '  ', '.', '-', '+', 'e', 'E', ':', 'x', 'S', 'W', 'south', 'N'],
  ...['true', 'False', 'TRUE', 'Canon', '2020:01:02 03:04:05'],
];

/**
 * A TIFF stream with IFD0 (Make, Model, Orientation, ModifyDate), an ExifIFD (dates, offsets,
 * sub-seconds) and a GPS IFD (a Ref, the date stamp), each tag there or not and its text made of
 * pseudo-random {@link TEXT_PIECES} (`seed`).
 */
function randomTextTiff(seed: number): Buffer {
  let s = seed;
  const next = (n: number): number => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const text = (tag: number): CraftedEntry => {
    const value = Array.from({ length: next(4) }, () => TEXT_PIECES[next(TEXT_PIECES.length)]);
    const bytes = ascii(value.join(''));
    return [tag, 2, bytes.length, bytes];
  };
  const some = (entries: CraftedEntry[]): CraftedEntry[] => entries.filter(() => next(3) > 0);
  const orientation = Buffer.alloc(4);
  orientation.writeUInt16LE(next(10) > 0 ? next(9) : next(65536));
  const ifd0 = some([text(0x010f), text(0x0110), [0x0112, 3, 1, orientation], text(0x0132)]);
  const exif = some([0x9003, 0x9004, 0x9010, 0x9011, 0x9291, 0x9292].map(text));
  const gps = some([text(0x0001), text(0x001d)]);
  // IFD0's size is known before the pointers' values are: two more 12-byte entries.
  const exifAt = 8 + craftedIfd(ifd0, 8).length + 24;
  const exifIfd = craftedIfd(exif, exifAt);
  const gpsAt = exifAt + exifIfd.length;
  const pointers: CraftedEntry[] = [
    [0x8769, 4, 1, long(exifAt)],
    [0x8825, 4, 1, long(gpsAt)],
  ];
  return Buffer.concat([
    Buffer.from('II*\0\x08\0\0\0', 'latin1'),
    craftedIfd([...ifd0, ...pointers], 8),
    exifIfd,
    craftedIfd(gps, gpsAt),
  ]);
}

/** `jpeg` with its APPn segments replaced by one Exif APP1 holding `tiff`. */
function withExif(jpeg: Buffer, tiff: Buffer): Buffer {
  let at = 2;
  while (jpeg[at] === 0xff && (jpeg[at + 1] ?? 0) >= 0xe0 && (jpeg[at + 1] ?? 0) <= 0xef) {
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xffe1, 0);
  head.writeUInt16BE(2 + 6 + tiff.length, 2);
  return Buffer.concat([
    jpeg.subarray(0, 2),
    head,
    Buffer.from('Exif\0\0', 'latin1'),
    tiff,
    jpeg.subarray(at),
  ]);
}

/** A Pixel's motion-photo XMP: its camera mode and the container of the embedded video. */
const MOTION_PHOTO = `<rdf:Description rdf:about=""
    xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
    xmlns:Container="http://ns.google.com/photos/1.0/container/"
    xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
    GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"
    GCamera:MotionPhotoPresentationTimestampUs="968644">
   <Container:Directory><rdf:Seq>
     <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
     <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="2911469" Item:Padding="0"/></rdf:li>
   </rdf:Seq></Container:Directory>
  </rdf:Description>`;

/** The same with the date an editor adds: exiftool would give XMP-xmp:CreateDate. */
const DATED_MOTION_PHOTO = MOTION_PHOTO.replace(
  'GCamera:MotionPhoto="1"',
  'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2021-05-06T07:08:09" GCamera:MotionPhoto="1"',
);

/** An XMP packet as phones write it around `description` (an rdf:Description). */
function xmpPacket(description: string): Buffer {
  return Buffer.from(
    `<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n` +
      `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.1.0-jc003">\n` +
      `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n${description}\n` +
      `</rdf:RDF>\n</x:xmpmeta>\n${' '.repeat(200)}\n<?xpacket end="w"?>`,
    'utf8',
  );
}

/** `jpeg` with a standard XMP APP1 holding `packet` right after its start-of-image marker. */
function withApp1(jpeg: Buffer, packet: Buffer): Buffer {
  const header = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xffe1, 0);
  head.writeUInt16BE(2 + header.length + packet.length, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, header, packet, jpeg.subarray(2)]);
}

const ascii = (text: string): Buffer => Buffer.from(`${text}\0`, 'latin1');
const long = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe('readTiffTags on crafted streams', () => {
  const make: CraftedEntry = [0x010f, 2, 7, ascii('Maker ')];

  it('reads a well-formed IFD0', () => {
    expect(readTiffTags(craftedTiff([make]))).toEqual({
      tags: [{ group: 'IFD0', name: 'Make', value: 'Maker' }],
      composite: [],
    });
  });

  it('declines every truncation of the IFD or its values, without throwing', () => {
    const whole = craftedTiff([make, [0x0110, 2, 9, ascii('Model 12')]]);
    for (let length = 0; length < whole.length; length++) {
      expect(readTiffTags(whole.subarray(0, length)), `cut at ${length}`).toBeNull();
    }
  });

  it('declines offsets out of range: an ExifIFD or a value past the end', () => {
    expect(readTiffTags(craftedTiff([make, [0x8769, 4, 1, long(0xfffffff0)]]))).toBeNull();
    const far = craftedTiff([[0x010f, 2, 40, ascii('x'.repeat(39))]]);
    expect(readTiffTags(far.subarray(0, far.length - 1))).toBeNull();
  });

  it('declines a value stored in the header or its own IFD, which exiftool drops as suspicious', () => {
    // IFD0 at 8 with one entry, Model, whose 6 bytes are at offset `at`: the header's
    // "II*\0\x08\0" reads as the text "II*", where exiftool warns "Suspicious IFD0 offset
    // for Model" and gives no Model.
    const tiff = (at: number): Buffer => {
      const bytes = Buffer.alloc(32);
      bytes.write('II*\0', 0, 'latin1');
      bytes.writeUInt32LE(8, 4);
      bytes.writeUInt16LE(1, 8);
      bytes.writeUInt16LE(0x0110, 10);
      bytes.writeUInt16LE(2, 12);
      bytes.writeUInt32LE(6, 14);
      bytes.writeUInt32LE(at, 18);
      bytes.write('Cam 1\0', 26, 'latin1');
      return bytes;
    };
    expect(readTiffTags(tiff(26))).toEqual({
      tags: [{ group: 'IFD0', name: 'Model', value: 'Cam 1' }],
      composite: [],
    });
    expect(readTiffTags(tiff(0))).toBeNull();
    expect(readTiffTags(tiff(12))).toBeNull();
  });

  it('declines loops in IFD chains: IFD0 linking to itself, an ExifIFD pointing at IFD0', () => {
    expect(readTiffTags(craftedTiff([make], 8))).toBeNull();
    expect(readTiffTags(craftedTiff([make, [0x8769, 4, 1, long(8)]]))).toBeNull();
  });

  it('declines a tag of an unexpected type or repeated, and text that is not ASCII', () => {
    expect(readTiffTags(craftedTiff([[0x0112, 4, 2, Buffer.alloc(8)]]))).toBeNull();
    expect(readTiffTags(craftedTiff([[0x010f, 7, 4, Buffer.from('Cam\0')]]))).toBeNull();
    expect(readTiffTags(craftedTiff([make, make]))).toBeNull();
    expect(readTiffTags(craftedTiff([[0x010f, 2, 0, Buffer.alloc(0)]]))).toBeNull();
    expect(
      readTiffTags(craftedTiff([[0x010f, 2, 5, Buffer.from('Caf\xe9\0', 'latin1')]])),
    ).toBeNull();
  });
});

describe('numbers as exiftool’s Perl prints them', () => {
  it('rounds an exact half to even, as C’s printf does (JavaScript rounds it up)', () => {
    // 1/1024 has ten decimals, so %.9f meets it exactly half-way.
    expect(printFixed(0.0009765625, 9)).toBe('0.000976562');
    expect((0.0009765625).toFixed(9)).toBe('0.000976563');
    expect(printFixed(2.5, 0)).toBe('2');
    expect(printFixed(12.345, 2)).toBe('12.35'); // 12.345 is a little above the half
    expect(roundSignificant(1234567890.5, 10)).toBe(1234567890);
    expect(roundSignificant(1234567891.5, 10)).toBe(1234567892);
    expect(roundSignificant(51 + 50 / 60 + 48 / 3600, 15)).toBe(51.8466666666667);
  });

  it('prints as %.15g: 17 decimals (which exiftool’s JSON then quotes), exponents', () => {
    expect(printSignificant(1 / 300, 15)).toBe('0.00333333333333333');
    expect(printSignificant(0.00001, 15)).toBe('1e-05');
    expect(printSignificant(123456789012345680, 15)).toBe('1.23456789012346e+17');
    expect(printSignificant(999999999999999.9, 15)).toBe('1e+15');
    expect(printSignificant(-2.5, 15)).toBe('-2.5');
    expect(printSignificant(100, 15)).toBe('100');
  });
});

import { jsonValue, type FoundTag } from './found-tag.js';
import { makerNoteVerdict } from './maker-notes.js';
import { printFixed, printSignificant, roundSignificant } from './perl-number.js';

/** What {@link readTiffTags} found in a TIFF stream. */
export interface TiffTags {
  /**
   * The tags, in the order exiftool finds them (an IFD's entries in order, a sub-IFD's tags
   * where its pointer stands, then the next IFD), each under the `-G1` group exiftool gives it:
   * IFD0, ExifIFD, GPS, InteropIFD, IFD1. Dates and texts as exiftool prints them; Orientation,
   * ImageWidth/ImageHeight and the GPS tags as numbers or raw text, as `-TAG#` gives them.
   */
  tags: FoundTag[];
  /** exiftool's Composite tags derived from the GPS IFD (GPSLatitude, GPSLongitude, GPSDateTime). */
  composite: FoundTag[];
}

/** TIFF field types: the size of one value of each, by type number. */
const TYPE_SIZE: Readonly<Record<number, number>> = Object.freeze({
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
});

const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const UNDEFINED = 7;

/**
 * Tags of exiftool's EXIF table (every IFD but GPS) read here, by tag number. `trim` is the
 * trailing whitespace exiftool's conversions remove: all of it for Make and Model (RawConv
 * `s/\s+$//`), spaces for the SubSecTime tags (ValueConv `s/ +$//`).
 */
const EXIF_TEXT: ReadonlyMap<number, { name: string; trim?: RegExp }> = new Map([
  [0x010f, { name: 'Make', trim: /\s+$/ }],
  [0x0110, { name: 'Model', trim: /\s+$/ }],
  [0x0132, { name: 'ModifyDate' }],
  [0x9003, { name: 'DateTimeOriginal' }],
  [0x9004, { name: 'CreateDate' }],
  [0x9010, { name: 'OffsetTime' }],
  [0x9011, { name: 'OffsetTimeOriginal' }],
  [0x9012, { name: 'OffsetTimeDigitized' }],
  [0x9291, { name: 'SubSecTimeOriginal', trim: / +$/ }],
  [0x9292, { name: 'SubSecTimeDigitized', trim: / +$/ }],
]);

/** Integer tags of the EXIF table read here (exiftool prints them as numbers with `#`). */
const EXIF_INTEGER: ReadonlyMap<number, string> = new Map([
  [0x0100, 'ImageWidth'],
  [0x0101, 'ImageHeight'],
  // Not asked for, but in a TIFF file exiftool names some RAW formats by it.
  [0x0103, 'Compression'],
  [0x0112, 'Orientation'],
]);

/** Pointers to IFDs that use the EXIF table, with the group exiftool names their tags by. */
const SUB_IFDS: ReadonlyMap<number, string> = new Map([
  [0x8769, 'ExifIFD'],
  [0xa005, 'InteropIFD'],
]);

const GPS_POINTER = 0x8825;
const MAKER_NOTE = 0x927c;

/**
 * Tags exiftool reads as a directory of another format, any of which may hold tags photosortd
 * asks for (XMP, IPTC, Photoshop, maker notes and RAW makers' private data, DNG private data,
 * SubIFDs of RAW files, JSON, PLIST, JUMBF): a stream holding one is left to exiftool. The list
 * is every SubDirectory tag of exiftool's `Exif::Main` table but those handled above, the maker
 * note (see maker-notes.ts) and the ICC profile, whose tags have other names.
 */
const FOREIGN_DIRECTORIES: ReadonlySet<number> = new Set([
  0x014a, // SubIFD
  0x0190, // GlobalParametersIFD
  0x02bc, // ApplicationNotes (XMP)
  0x4748, // StitchInfo
  0x8290, // KodakIFD
  0x83bb, // IPTC-NAA
  0x8568, // AFCP_IPTC
  0x8606, // LeafData
  0x8649, // PhotoshopSettings
  0x888a, // LeafSubIFD
  0x935c, // ImageSourceData
  0x9999, // XiaomiSettings
  0xc4a5, // PrintIM
  0xc519, // HasselbladXML
  0xc51b, // HasselbladExif
  0xc634, // DNGPrivateData
  0xc68c, // OriginalRawFileData
  0xc68f, // AsShotICCProfile
  0xc691, // CurrentICCProfile
  0xc6f5, // ProfileIFD
  0xc7d5, // NikonNEFInfo
  0xcd41, // JUMBF
  0xcd44, // ImageSequenceInfo
  0xcd47, // ProfileDynamicRange
  0xcea1, // SEAL
  0xfe00, // KDC_IFD
  0xc612, // DNGVersion: no directory, but it makes exiftool call a TIFF file DNG
]);

/** Apple's maker-note tag holding the Live Photo pairing identifier. */
const APPLE_CONTENT_IDENTIFIER = 0x0011;

/** GPS IFD tags, by tag number. */
const GPS_LATITUDE_REF = 0x0001;
const GPS_LATITUDE = 0x0002;
const GPS_LONGITUDE_REF = 0x0003;
const GPS_LONGITUDE = 0x0004;
const GPS_TIME_STAMP = 0x0007;
const GPS_DATE_STAMP = 0x001d;

/** One IFD entry whose value lies inside the stream. */
interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Where the value's bytes start in the stream. */
  at: number;
}

/** Thrown inside the parser when the stream is not one exiftool would read as we do. */
class Decline extends Error {}

/**
 * A TIFF stream of which only some ranges are at hand (a TIFF file read through positioned
 * reads): `get` returns the bytes or throws {@link MissingBytes} naming the range to load.
 */
export interface TiffBytes {
  /** The stream's length in bytes. */
  readonly length: number;
  get(at: number, length: number): Buffer;
}

/** The range a {@link TiffBytes} lacked; load it and parse again. */
export class MissingBytes extends Error {
  constructor(
    readonly at: number,
    readonly length: number,
  ) {
    super(`bytes ${at}..${at + length} not loaded`);
  }
}

/**
 * Reads the tags photosortd asks exiftool for (see {@link TiffTags}) from a TIFF stream.
 *
 * `tiff` must hold the whole stream from its byte-order mark (`II*\0` or `MM\0*`) on, so that
 * its offsets count from `tiff[0]`: a JPEG APP1 segment's bytes after `Exif\0\0`, a HEIF Exif
 * item's bytes after its 4-byte header offset, a PNG `eXIf` chunk's data, or the head of a TIFF
 * file long enough to hold every IFD and value the tags need.
 *
 * Returns `null`, never throws, when the stream holds anything whose rendering by exiftool it
 * cannot guarantee: a truncated IFD, an offset out of range, a loop in an IFD chain, a tag of an
 * unexpected type or a repeated one, text that is not printable ASCII, a third IFD in the main
 * chain, and directories of other formats (maker notes, XMP, IPTC, SubIFDs: see
 * {@link FOREIGN_DIRECTORIES}). The caller then asks exiftool.
 */
export function readTiffTags(tiff: Buffer): TiffTags | null {
  return readSparseTiffTags({ length: tiff.length, get: (at, n) => tiff.subarray(at, at + n) });
}

/**
 * {@link readTiffTags} of a stream only partly loaded: throws {@link MissingBytes} (and only
 * that) when it needs a range that `tiff` lacks.
 */
export function readSparseTiffTags(tiff: TiffBytes): TiffTags | null {
  try {
    return new TiffParser(tiff).read();
  } catch (error) {
    if (error instanceof Decline || error instanceof RangeError) return null;
    throw error;
  }
}

class TiffParser {
  private readonly le: boolean;
  private readonly seen = new Set<number>();
  private readonly tags: FoundTag[] = [];
  private readonly gps = new Map<number, Entry>();
  private readonly subGroups = new Set<string>();
  /** Make and Model as read so far: exiftool picks a maker note's table by them. */
  private make = '';
  private model = '';

  constructor(private readonly data: TiffBytes) {
    const order = this.slice(0, 2).toString('latin1');
    if (order !== 'II' && order !== 'MM') throw new Decline();
    this.le = order === 'II';
    if (this.u16(2) !== 42) throw new Decline();
  }

  read(): TiffTags {
    const ifd0 = this.u32(4);
    // An empty IFD0 is not an EXIF stream exiftool reads quietly.
    if (this.u16(ifd0) === 0) throw new Decline();
    const ifd1 = this.readIfd(ifd0, 'IFD0');
    if (ifd1 !== 0 && this.readIfd(ifd1, 'IFD1') !== 0) throw new Decline();
    return { tags: this.tags, composite: this.gpsComposites() };
  }

  /** Reads one IFD of the EXIF table into `tags`; returns its next-IFD offset. */
  private readIfd(offset: number, group: string): number {
    const entries = this.entries(offset);
    const names = new Set<string>();
    for (const entry of entries) {
      if (FOREIGN_DIRECTORIES.has(entry.tag)) throw new Decline();
      const found = this.exifTag(entry, group);
      if (found) {
        if (names.has(found.name)) throw new Decline();
        names.add(found.name);
        this.tags.push(found);
      }
      const sub = SUB_IFDS.get(entry.tag);
      if (entry.tag === MAKER_NOTE) {
        this.readMakerNote(entry);
      } else if (sub) {
        // A second ExifIFD or InteropIFD would repeat its group's keys.
        if (this.subGroups.has(sub)) throw new Decline();
        this.subGroups.add(sub);
        // exiftool follows next-IFD links from IFD0 (and SubIFDs) only.
        this.readIfd(this.pointer(entry), sub);
      } else if (entry.tag === GPS_POINTER) {
        this.readGpsIfd(this.pointer(entry));
      }
    }
    // An IFD ending where the stream does has no link, which exiftool takes for the last.
    const link = offset + 2 + entries.length * 12;
    return link + 4 <= this.data.length ? this.u32(link) : 0;
  }

  private exifTag(entry: Entry, group: string): FoundTag | null {
    const text = EXIF_TEXT.get(entry.tag);
    if (text) {
      if (entry.type !== ASCII) throw new Decline();
      let value = this.ascii(entry);
      if (text.trim) value = value.replace(text.trim, '');
      if (entry.tag === 0x010f) this.make = value;
      if (entry.tag === 0x0110) this.model = value;
      return { group, name: text.name, value: jsonValue(value) };
    }
    const integer = EXIF_INTEGER.get(entry.tag);
    if (integer) return { group, name: integer, value: this.integer(entry) };
    return null;
  }

  /** Passes over a maker note without asked-for tags; reads Apple's ContentIdentifier. */
  private readMakerNote(entry: Entry): void {
    const note = this.bytes(entry);
    const verdict = makerNoteVerdict(note, this.make, this.model);
    if (verdict === 'decline') throw new Decline();
    if (verdict === 'skip') return;
    // "Apple iOS\0", a version, the byte order, then an IFD whose offsets count from the note.
    const order = note.toString('latin1', 12, 14);
    if (order !== 'MM' && order !== 'II') throw new Decline();
    const le = order === 'II';
    const u16 = (at: number): number => (le ? note.readUInt16LE(at) : note.readUInt16BE(at));
    const u32 = (at: number): number => (le ? note.readUInt32LE(at) : note.readUInt32BE(at));
    const count = u16(14);
    if (16 + count * 12 > note.length) throw new Decline();
    let found = false;
    for (let i = 0; i < count; i++) {
      const at = 16 + i * 12;
      if (u16(at) !== APPLE_CONTENT_IDENTIFIER) continue;
      const length = u32(at + 4);
      if (found || u16(at + 2) !== ASCII) throw new Decline();
      found = true;
      const valueAt = length <= 4 ? at + 8 : u32(at + 8);
      if (valueAt + length > note.length) throw new Decline();
      const value = asciiText(note.subarray(valueAt, valueAt + length));
      this.tags.push({ group: 'Apple', name: 'ContentIdentifier', value: jsonValue(value) });
    }
  }

  private readGpsIfd(offset: number): void {
    const entries = this.entries(offset);
    for (const entry of entries) {
      if (this.gps.has(entry.tag)) throw new Decline();
      this.gps.set(entry.tag, entry);
      if (entry.tag === GPS_LATITUDE_REF || entry.tag === GPS_LONGITUDE_REF) {
        if (entry.type !== ASCII) throw new Decline();
        const name = entry.tag === GPS_LATITUDE_REF ? 'GPSLatitudeRef' : 'GPSLongitudeRef';
        this.tags.push({ group: 'GPS', name, value: jsonValue(this.ascii(entry)) });
      } else if (entry.tag === GPS_LATITUDE || entry.tag === GPS_LONGITUDE) {
        const name = entry.tag === GPS_LATITUDE ? 'GPSLatitude' : 'GPSLongitude';
        this.tags.push({ group: 'GPS', name, value: jsonValue(this.degrees(entry)) });
      }
    }
  }

  /** Composite:GPSLatitude/GPSLongitude (each needs its Ref) and GPSDateTime, as exiftool makes them. */
  private gpsComposites(): FoundTag[] {
    const composite: FoundTag[] = [];
    const coordinates = [
      ['GPSLatitude', GPS_LATITUDE, GPS_LATITUDE_REF, /^S/i],
      ['GPSLongitude', GPS_LONGITUDE, GPS_LONGITUDE_REF, /^W/i],
    ] as const;
    for (const [name, valueTag, refTag, negative] of coordinates) {
      const value = this.gps.get(valueTag);
      const ref = this.gps.get(refTag);
      if (!value || !ref) continue;
      const degrees = this.degrees(value);
      if (negative.test(this.ascii(ref))) {
        // Perl prints -0 as "-0", which JSON keeps and a reader can hardly tell from 0.
        if (degrees === '0') throw new Decline();
        composite.push({ group: 'Composite', name, value: jsonValue(`-${degrees}`) });
      } else {
        composite.push({ group: 'Composite', name, value: jsonValue(degrees) });
      }
    }
    const date = this.gps.get(GPS_DATE_STAMP);
    const time = this.gps.get(GPS_TIME_STAMP);
    if (date && time) {
      composite.push({
        group: 'Composite',
        name: 'GPSDateTime',
        value: jsonValue(`${this.gpsDate(date)} ${this.gpsTime(time)}Z`),
      });
    }
    return composite;
  }

  /**
   * GPSLatitude/GPSLongitude as exiftool's `ToDegrees` makes them (`-GPSLatitude#`), printed as
   * Perl prints a number: JSON then carries it as a number or, past 16 decimals, as text.
   */
  private degrees(entry: Entry): string {
    const [d, m, s] = this.threeRationals(entry);
    return printSignificant(d + (m + s / 60) / 60, 15);
  }

  /** GPSDateStamp as exiftool's `ExifDate` writes it (read as bytes: some cameras put NULs in). */
  private gpsDate(entry: Entry): string {
    if (entry.type !== ASCII && entry.type !== UNDEFINED) throw new Decline();
    const text = this.bytes(entry).toString('latin1').replace(/\0+$/, '');
    if (!/^[\x20-\x7e]*$/.test(text)) throw new Decline();
    return text.replace(/(\d{4})[^\d]*(\d{2})[^\d]*(\d{2})$/, '$1:$2:$3');
  }

  /** GPSTimeStamp as exiftool's `ConvertTimeStamp` writes it. */
  private gpsTime(entry: Entry): string {
    const [h, m, s] = this.threeRationals(entry);
    let f = (h * 60 + m) * 60 + s;
    let hours = Math.trunc(f / 3600);
    f -= hours * 3600;
    let minutes = Math.trunc(f / 60);
    f -= minutes * 60;
    let seconds = printFixed(f, 9).padStart(12, '0');
    if (Number(seconds) >= 60) {
      seconds = '00';
      minutes += 1;
      if (minutes >= 60) {
        minutes -= 60;
        hours += 1;
      }
    } else {
      seconds = seconds.replace(/\.?0+$/, '');
    }
    // Perl's %.2d; unsigned rationals make every part positive.
    const two = (n: number): string => String(n).padStart(2, '0');
    return `${two(hours)}:${two(minutes)}:${seconds}`;
  }

  /** The three RATIONALs of a GPS position or time stamp, as exiftool reads them. */
  private threeRationals(entry: Entry): [number, number, number] {
    if (entry.type !== RATIONAL || entry.count !== 3) throw new Decline();
    return [this.rational(entry.at), this.rational(entry.at + 8), this.rational(entry.at + 16)];
  }

  /** An unsigned RATIONAL as exiftool reads it: rounded to 10 significant digits. */
  private rational(at: number): number {
    const numerator = this.u32(at);
    const denominator = this.u32(at + 4);
    // exiftool writes "inf" or "undef" for these, which its conversions then mangle.
    if (denominator === 0) throw new Decline();
    return roundSignificant(numerator / denominator, 10);
  }

  /** The IFD's entries (values located, not read); declines a truncated or looping IFD. */
  private entries(offset: number): Entry[] {
    if (offset < 8 || this.seen.has(offset)) throw new Decline();
    this.seen.add(offset);
    const count = this.u16(offset);
    const end = offset + 2 + count * 12 + 4;
    if (end - 4 > this.data.length) throw new Decline();
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const at = offset + 2 + i * 12;
      const type = this.u16(at + 2);
      const size = TYPE_SIZE[type];
      if (size === undefined) throw new Decline();
      const valueCount = this.u32(at + 4);
      const length = size * valueCount;
      const valueAt = length <= 4 ? at + 8 : this.u32(at + 8);
      if (valueAt + length > this.data.length) throw new Decline();
      // A value stored in the header or in the IFD itself: exiftool warns "Suspicious ...
      // offset" and drops the tag, which this reader would have read as text.
      if (length > 4 && (valueAt < 8 || (valueAt < end && valueAt + length > offset)))
        throw new Decline();
      entries.push({ tag: this.u16(at), type, count: valueCount, at: valueAt });
    }
    return entries;
  }

  /** The offset an IFD pointer holds. */
  private pointer(entry: Entry): number {
    if ((entry.type !== LONG && entry.type !== 13) || entry.count !== 1) throw new Decline();
    return this.u32(entry.at);
  }

  private integer(entry: Entry): number {
    if (entry.count !== 1) throw new Decline();
    if (entry.type === SHORT) return this.u16(entry.at);
    if (entry.type === LONG) return this.u32(entry.at);
    throw new Decline();
  }

  /** An ASCII value; one of no bytes at all is declined (exiftool has no value to show). */
  private ascii(entry: Entry): string {
    if (entry.count === 0) throw new Decline();
    return asciiText(this.bytes(entry));
  }

  private bytes(entry: Entry): Buffer {
    return this.slice(entry.at, entry.count * (TYPE_SIZE[entry.type] ?? 1));
  }

  /** `length` bytes at `at`; declines a range past the stream's end. */
  private slice(at: number, length: number): Buffer {
    if (at + length > this.data.length) throw new Decline();
    const bytes = this.data.get(at, length);
    if (bytes.length !== length) throw new Decline();
    return bytes;
  }

  private u16(at: number): number {
    const bytes = this.slice(at, 2);
    return this.le ? bytes.readUInt16LE(0) : bytes.readUInt16BE(0);
  }

  private u32(at: number): number {
    const bytes = this.slice(at, 4);
    return this.le ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
  }
}

/** An ASCII value as exiftool reads it (cut at the first NUL); only printable ASCII is taken. */
function asciiText(bytes: Buffer): string {
  const text = bytes.toString('latin1').replace(/\0.*$/s, '');
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Decline();
  return text;
}

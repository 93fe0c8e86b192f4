import { type FoundTag, jsonValue } from './found-tag.js';
import { type BmffFile, boxBody, boxesIn, isPadding, readBox } from './iso-bmff.js';
import { printFixed, roundSignificant } from './perl-number.js';
import { ANSWERABLE_NAMES } from './raw-tags.js';
import { Unsure, ensure, isPlainText } from './unsure.js';

/**
 * The tags exiftool 13 (`-fast -a -G1`) gives QuickTime-family videos (MOV, MP4, M4V, 3GP),
 * read from the movie box: QuickTime:CreateDate/ModifyDate (mvhd), Track<N>:MediaCreateDate
 * (mdhd), Keys:* (Apple's mdta keys and item list), UserData:* (udta), and the Composite
 * GPSLatitude/GPSLongitude/ImageSize exiftool derives from them. Anything else that could
 * carry a tag asked for (XMP and maker boxes, track-level metadata, tag ids exiftool maps to
 * Make, Model or a date) makes the read {@link Unsure}, and exiftool reads the file instead.
 */

/** Limits of the read, each with why. */
const LIMITS = Object.freeze({
  /** Larger movie boxes are rare (hours of video); exiftool warns above 32 MiB anyway. */
  maxMovieBytes: 16 * 1024 * 1024,
});

/** Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01, as exiftool computes it. */
const QUICKTIME_EPOCH_OFFSET = (66 * 365 + 17) * 24 * 3600;

/** File types exiftool names from an ftyp brand ("… (.EXT" in its brand table, 13.59). */
const BRAND_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '3g2a': '3G2',
  '3g2b': '3G2',
  '3g2c': '3G2',
  '3ge6': '3GP',
  '3ge7': '3GP',
  '3gp1': '3GP',
  '3gp2': '3GP',
  '3gp3': '3GP',
  '3gp4': '3GP',
  '3gp5': '3GP',
  '3gp6': '3GP',
  '3gs7': '3GP',
  'M4V ': 'M4V',
  M4VH: 'M4V',
  M4VP: 'M4V',
  mmp4: 'MP4',
  MSNV: 'MP4',
  NDSC: 'MP4',
  NDSH: 'MP4',
  NDSM: 'MP4',
  NDSP: 'MP4',
  NDSS: 'MP4',
  NDXC: 'MP4',
  NDXH: 'MP4',
  NDXM: 'MP4',
  NDXP: 'MP4',
  NDXS: 'MP4',
  'qt  ': 'MOV',
});

/**
 * Brands exiftool reads as another format (HEIF, AVIF, JPEG 2000, Canon RAW, audio books,
 * Flash): not read here.
 */
const OTHER_FORMAT_BRANDS = new Set([
  'heic',
  'hevc',
  'mif1',
  'msf1',
  'heix',
  'avif',
  'avis',
  'avio',
  'miaf',
  'crx ',
  'JP2 ',
  'jpm ',
  'jpx ',
  'aax ',
  'F4A ',
  'F4B ',
  'F4P ',
  'F4V ',
  'M4A ',
  'M4B ',
  'M4P ',
  'mqt ',
  'dvr1',
  'dvt1',
]);

/** MIME types of the file types read here (exiftool's %mimeLookup; MP4 is its default). */
const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '3G2': 'video/3gpp2',
  '3GP': 'video/3gpp',
  M4A: 'audio/mp4',
  M4V: 'video/x-m4v',
  MOV: 'video/quicktime',
  MP4: 'video/mp4',
});

/**
 * udta ids exiftool 13.59 maps to Make, Model, a date or GPS, or to a maker's directory
 * (whose tags may include those), other than the ones read here: a file with one is left to
 * exiftool. Ids not listed give no tag asked for. Samsung's `smta` is not listed: its
 * directory (walked down to its last sub-table) names nothing asked for (SamsungModel).
 */
const RISKY_USER_DATA = new Set([
  '@mak',
  '@mod',
  '@sec',
  '@xyz',
  'CNMN',
  'CNOP',
  'CNTH',
  'DcMD',
  'FFMV',
  'GPMF',
  'INFO',
  'LEIC',
  'MMA0',
  'MMA1',
  'MVTG',
  'NCDT',
  'PANA',
  'PENT',
  'PXMN',
  'PXTH',
  'QVMI',
  'RDTA',
  'RDTB',
  'RDTC',
  'RDTG',
  'RDTL',
  'RICO',
  'RMKN',
  'SIGM',
  'TAGS',
  'TTMD',
  'Xtra',
  'btec',
  'cmnm',
  'hinf',
  'hnti',
  'htcb',
  'infi',
  'manu',
  'modl',
  'pose',
  'ptv ',
  'scrn',
  'tags',
  'thmb',
  '\xa9mdl',
  'IDIT',
  'XMP_',
  'uuid',
]);

/** Keys (after exiftool strips `com.apple.quicktime.`) read here, with the tag each gives. */
const READ_KEYS: Readonly<Record<string, string>> = Object.freeze({
  creationdate: 'CreationDate',
  make: 'Make',
  model: 'Model',
  'content.identifier': 'ContentIdentifier',
  'location.ISO6709': 'GPSCoordinates',
});

/** Keys exiftool maps to a tag asked for or to a directory, not read here. */
const RISKY_KEYS = new Set(['creation_time', 'detected-face', 'sdpd', 'setu', 'smartstyle-info']);

/**
 * Keys without a dot or dash that exiftool's Keys table names (13.59) and that give no tag
 * asked for: found there first, they are not looked up among item and user-data ids.
 */
const PLAIN_KEYS = new Set([
  'Encoded_With',
  'album',
  'artist',
  'artwork',
  'author',
  'comment',
  'compatible_brands',
  'copyright',
  'description',
  'director',
  'displayname',
  'encoder',
  'genre',
  'information',
  'keywords',
  'major_brand',
  'minor_version',
  'producer',
  'publisher',
  'software',
  'title',
  'version',
  'year',
]);

/**
 * Tag names a key must not be given by exiftool's made-up naming: those the native readers
 * answer for and those exiftool's Composite tags are made from.
 */
const TAGS_THAT_MATTER: ReadonlySet<string> = new Set([
  ...ANSWERABLE_NAMES,
  'GPSCoordinates',
  'LocationInformation',
  'ImageWidth',
  'ImageHeight',
]);

/** What the walk over a movie has found so far. */
interface Movie {
  /** Tags in the order exiftool finds them. */
  found: FoundTag[];
  /** Handler types seen (exiftool's HasHandler). */
  handlers: Set<string>;
  /** The last track's number; tracks are numbered from 1 in file order. */
  track: number;
  width?: number;
  height?: number;
  /** GPSCoordinates values (after exiftool's ValueConv), any group. */
  coordinates: string[];
  /** LocationInformation values (3GPP `loci`), as exiftool prints them. */
  locations: string[];
}

/**
 * The tags of a QuickTime-family file that photosortd asks exiftool for, in the order exiftool
 * finds them (its Composite tags last); throws {@link Unsure} where not sure.
 */
export async function readMovieTags(file: BmffFile, extension: string): Promise<FoundTag[]> {
  const { source, boxes, ftyp, brand } = file;
  let fileType = fileTypeOf(ftyp);
  // exiftool names a QuickTime movie by its extension when that is another type of the family
  // (a `qt  ` file named .mp4 is an "MP4" of type video/quicktime): left to it.
  ensure(fileType !== 'MOV' || extension === '.mov', `QuickTime movie named ${extension}`);
  const movie: Movie = {
    found: [],
    handlers: new Set(),
    track: 0,
    coordinates: [],
    locations: [],
  };
  let movies = 0;
  for (const box of boxes.slice(1)) {
    // exiftool stops at a box of size 0 ("to the end of the file") without reading it.
    ensure(!box.toEnd || box.type === 'mdat', `${box.type} box running to the end of the file`);
    if (box.type === 'moov') {
      movies += 1;
      ensure(movies === 1, 'two moov boxes');
      ensure(box.end - box.bodyStart <= LIMITS.maxMovieBytes, 'moov box too large');
      readMovieBox(await readBox(source, box), movie);
    } else if (box.type === 'free' || box.type === 'skip') {
      ensure(await isPadding(source, box), 'free box with content');
    } else {
      ensure(box.type === 'mdat' || box.type === 'wide', `top-level ${box.type} box`);
    }
  }
  // exiftool calls an MP4 whose tracks are all sound an M4A (for these brands only).
  if (fileType === 'MP4' && /^(iso|dash|mp42)/.test(brand)) {
    if (movie.handlers.has('soun') && !movie.handlers.has('vide')) fileType = 'M4A';
  }
  return [
    { group: 'File', name: 'FileType', value: fileType },
    { group: 'File', name: 'MIMEType', value: MIME_TYPES[fileType] ?? 'video/mp4' },
    ...movie.found,
    ...compositeTags(movie),
  ];
}

/**
 * exiftool's file type for an ftyp body: the major brand's, else MP4 for a compatible
 * mp41/mp42/avc1 (its pattern skips the first compatible brand), else MOV for `qt  `, else MP4.
 */
function fileTypeOf(ftyp: Buffer): string {
  const brand = ftyp.toString('latin1', 0, 4);
  ensure(!OTHER_FORMAT_BRANDS.has(brand), `${brand.trim()} brand`);
  const known = BRAND_TYPES[brand];
  if (known) return known;
  const compatible: string[] = [];
  for (let at = 12; at + 4 <= ftyp.length; at += 4)
    compatible.push(ftyp.toString('latin1', at, at + 4));
  if (compatible.some((b) => b === 'mp41' || b === 'mp42' || b === 'avc1')) return 'MP4';
  ensure(!compatible.includes('f4v '), 'Flash video');
  return compatible.includes('qt  ') ? 'MOV' : 'MP4';
}

function readMovieBox(moov: Buffer, movie: Movie): void {
  for (const box of boxesIn(moov)) {
    const body = boxBody(moov, box);
    switch (box.type) {
      case 'mvhd':
        readHeaderDates(body, movie, 'QuickTime', 'CreateDate', 'ModifyDate', body[0] !== 0);
        break;
      case 'trak':
        movie.track += 1;
        readTrack(body, movie);
        break;
      case 'udta':
        readUserData(body, movie);
        break;
      case 'meta':
        // Apple's movie-level meta box has no version word; exiftool reads it as plain boxes.
        readMeta(body, movie);
        break;
      case 'iods':
      case 'free':
      case 'skip':
        break;
      default:
        throw new Unsure(`${box.type} box in moov`);
    }
  }
}

/**
 * The creation and modification dates of an mvhd or mdhd box: 32-bit seconds since 1904
 * after the version word, 64-bit when exiftool takes the box as version 1.
 */
function readHeaderDates(
  body: Buffer,
  movie: Movie,
  group: string,
  created: string,
  modified: string,
  wide: boolean,
): void {
  const size = wide ? 8 : 4;
  ensure(body.length >= 4 + 2 * size, 'short header box');
  const read = (at: number): number =>
    wide ? safeNumber(body.readBigUInt64BE(at)) : body.readUInt32BE(at);
  movie.found.push({ group, name: created, value: quickTimeDate(read(4)) });
  movie.found.push({ group, name: modified, value: quickTimeDate(read(4 + size)) });
}

function safeNumber(value: bigint): number {
  ensure(value <= BigInt(Number.MAX_SAFE_INTEGER), 'date beyond any calendar');
  return Number(value);
}

/**
 * A QuickTime date as exiftool prints it: UTC, no offset, zero as zeros. A value before 1970
 * exiftool takes as counted from 1970 (software that got the epoch wrong), with a minor
 * warning.
 */
function quickTimeDate(seconds: number): string {
  if (seconds === 0) return '0000:00:00 00:00:00';
  const unix = seconds >= QUICKTIME_EPOCH_OFFSET ? seconds - QUICKTIME_EPOCH_OFFSET : seconds;
  const date = new Date(unix * 1000);
  ensure(date.getUTCFullYear() <= 9999, 'date past year 9999');
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}:${two(date.getUTCMonth() + 1)}:${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`
  );
}

function readTrack(trak: Buffer, movie: Movie): void {
  for (const box of boxesIn(trak)) {
    const body = boxBody(trak, box);
    switch (box.type) {
      case 'tkhd':
        readTrackHeader(body, movie);
        break;
      case 'mdia':
        readMedia(body, movie);
        break;
      case 'udta':
      case 'meta':
        // exiftool names track-level metadata by the track's media type; not copied here.
        ensure(boxesIn(body).length === 0, `metadata in track ${movie.track}`);
        break;
      case 'tref':
      case 'tapt':
        // References and apertures give no tag asked for; exiftool walks their boxes.
        boxesIn(body);
        break;
      case 'edts':
      case 'free':
      case 'skip':
        break;
      default:
        throw new Unsure(`${box.type} box in trak`);
    }
  }
}

/**
 * A track header's image size: 16.16 fixed point after the matrix (offset 76, or 88 in a
 * version-1 box). exiftool drops a zero size and keeps the first track's that has one; a
 * value without integer part in the high half it takes as it is (its FixWrongFormat).
 */
function readTrackHeader(body: Buffer, movie: Movie): void {
  const at = body[0] !== 0 ? 88 : 76;
  const fixed = (offset: number): number | undefined => {
    if (body.length < offset + 4) return undefined;
    const value = body.readUInt32BE(offset);
    if (value === 0) return undefined;
    return value & 0xfff00000 ? value >>> 16 : value;
  };
  movie.width ??= fixed(at);
  movie.height ??= fixed(at + 4);
}

function readMedia(mdia: Buffer, movie: Movie): void {
  const group = `Track${movie.track}`;
  for (const box of boxesIn(mdia)) {
    const body = boxBody(mdia, box);
    switch (box.type) {
      case 'mdhd':
        // exiftool takes the whole version-and-flags word as the version here.
        ensure(body.length >= 4, 'short mdhd');
        readHeaderDates(
          body,
          movie,
          group,
          'MediaCreateDate',
          'MediaModifyDate',
          body.readUInt32BE(0) !== 0,
        );
        break;
      case 'hdlr':
        readHandler(body, movie);
        break;
      case 'minf':
        readMediaInformation(body, movie);
        break;
      case 'elng':
      case 'free':
        break;
      default:
        throw new Unsure(`${box.type} box in mdia`);
    }
  }
}

/**
 * A track's media information. Its sample tables give no tag asked for, only its data
 * handler's type counts; but exiftool walks the data references and sample descriptions and
 * warns where they are cut short, so those must hold together.
 */
function readMediaInformation(minf: Buffer, movie: Movie): void {
  for (const box of boxesIn(minf)) {
    const body = boxBody(minf, box);
    if (box.type === 'hdlr') readHandler(body, movie);
    if (box.type === 'dinf') {
      for (const reference of boxesIn(body)) {
        // A full box with an entry count, then the entries.
        if (reference.type === 'dref') boxesIn(boxBody(body, reference).subarray(8));
      }
    }
    if (box.type === 'gmhd') {
      for (const header of boxesIn(body)) {
        if (header.type === 'tmcd') boxesIn(boxBody(body, header));
      }
    }
    if (box.type === 'stbl') {
      for (const table of boxesIn(body)) {
        if (table.type !== 'stsd') continue;
        const descriptions = boxBody(body, table);
        ensure(descriptions.length >= 8, 'short stsd');
        const count = descriptions.readUInt32BE(4);
        ensure(boxesIn(descriptions.subarray(8)).length === count, 'sample descriptions cut');
      }
    }
  }
}

/**
 * A handler box: its type is remembered (an MP4 with sound but no video is an M4A). The
 * minor warning exiftool gives for timed-metadata handlers is not reproduced: the pipeline's
 * exiftool runs with -m (ignoreMinorErrors), which leaves it out.
 */
function readHandler(body: Buffer, movie: Movie): void {
  ensure(body.length >= 12, 'short hdlr');
  movie.handlers.add(body.toString('latin1', 8, 12));
}

/** The movie's user data box (udta): 3GPP and QuickTime text items, `date`, `loci`, `meta`. */
function readUserData(udta: Buffer, movie: Movie): void {
  for (const box of boxesIn(udta)) {
    const body = boxBody(udta, box);
    const id = box.type;
    if (id === 'meta') {
      // Here the meta box is a full box: exiftool skips its version word.
      ensure(body.length >= 4, 'short meta');
      readMeta(body.subarray(4), movie);
    } else if (id === '\xa9xyz') {
      movie.coordinates.push(isoCoordinates(internationalText(body)));
    } else if (id === '\xa9mak' || id === '\xa9mod') {
      const name = id === '\xa9mak' ? 'Make' : 'Model';
      movie.found.push({ group: 'UserData', name, value: jsonValue(internationalText(body)) });
    } else if (id === 'date') {
      ensure(!body.includes(0), 'date with null bytes');
      movie.found.push({
        group: 'UserData',
        name: 'DateTimeOriginal',
        value: xmpDate(body.toString('latin1')),
      });
    } else if (id === 'loci') {
      movie.locations.push(locationInformation(body));
    } else {
      ensure(!RISKY_USER_DATA.has(id), `udta ${id} item`);
    }
  }
}

/**
 * A QuickTime international text item (2-byte length, 2-byte language, text) holding one
 * string in the default language (Macintosh code 0, or `und`/`eng`), as exiftool keeps it:
 * trailing nulls dropped.
 */
function internationalText(body: Buffer): string {
  ensure(body.length >= 4, 'short text item');
  let length = body.readUInt16BE(0);
  const language = body.readUInt16BE(2);
  // exiftool allows the length to count its own 4 bytes, as the spec says and few do.
  if (4 + length > body.length) length -= 4;
  ensure(length >= 0 && 4 + length === body.length, 'text item with several entries');
  ensure(language === 0 || language === 0x55c4 || language === 0x15c7, 'text in a named language');
  const text = body.toString('latin1', 4, 4 + length).replace(/\0+$/, '');
  ensure(isPlainText(text), 'text with control or non-ASCII characters');
  return text;
}

/**
 * An ISO 6709 position as exiftool's GPSCoordinates holds it ("lat lon [alt]", numbers as
 * perl prints them). Only the decimal-degrees form is read.
 */
function isoCoordinates(text: string): string {
  const m = /^([-+]\d{1,2}(?:\.\d*)?)([-+]\d{1,3}(?:\.\d*)?)([-+]\d+(?:\.\d*)?)?/.exec(text);
  ensure(m, 'position not in decimal degrees');
  return `${roundSignificant(Number(m[1]), 15)} ${roundSignificant(Number(m[2]), 15)}`;
}

/**
 * An ISO 8601 date as exiftool converts it (XMP::ConvertXMPDate, then a colon put into a
 * "+HHMM" offset): "2019-07-24T11:25:40+0300" → "2019:07:24 11:25:40+03:00".
 */
function xmpDate(text: string): string {
  ensure(isPlainText(text), 'date with control or non-ASCII characters');
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}:\d{2})(:\d{2})?\s*(\S*)$/.exec(text);
  ensure(m, 'date not in ISO 8601 form');
  const value = `${m[1]}:${m[2]}:${m[3]} ${m[4]}${m[5] ?? ''}${m[6]}`;
  return value.replace(/([-+]\d{2})(\d{2})$/, '$1:$2');
}

/**
 * A 3GPP location (`loci`) as exiftool's LocationInformation prints it; only its "Lat=" and
 * "Lon=" parts matter (the Composite GPS tags take them), so a name holding those is refused.
 */
function locationInformation(body: Buffer): string {
  ensure(body.length >= 6, 'short loci');
  const language = body.readUInt16BE(4);
  ensure(language === 0 || language === 0x55c4 || language === 0x15c7, 'loci in a named language');
  const rest = body.subarray(6);
  ensure(!(rest[0] === 0xfe && rest[1] === 0xff), 'UTF-16 location name');
  const nul = rest.indexOf(0);
  ensure(nul >= 0, 'unterminated location name');
  const name = rest.toString('latin1', 0, nul);
  ensure(isPlainText(name) && !/(Lat|Lon)=/.test(name), 'unusual location name');
  const values = rest.subarray(nul + 1);
  ensure(values.length >= 13, 'short loci');
  const longitude = printFixed(fixed32s(values.readInt32BE(1)), 5);
  const latitude = printFixed(fixed32s(values.readInt32BE(5)), 5);
  return `Lat=${latitude} Lon=${longitude}`;
}

/**
 * A signed 16.16 fixed-point value as exiftool's GetFixed32s gives it: rounded to 5 decimals
 * half away from zero in double arithmetic (`int($val * 1e5 ± 0.5) / 1e5`).
 */
function fixed32s(raw: number): number {
  const value = raw / 0x10000;
  return Math.trunc(value * 1e5 + (value > 0 ? 0.5 : -0.5)) / 1e5;
}

/**
 * A meta box: Apple's `mdta` keys with their item list, or an iTunes-style item list. Other
 * contents (HEIF items, XML) are left to exiftool.
 */
function readMeta(meta: Buffer, movie: Movie): void {
  let keys: string[] | null = null;
  let handler: string | null = null;
  for (const box of boxesIn(meta)) {
    const body = boxBody(meta, box);
    switch (box.type) {
      case 'hdlr':
        readHandler(body, movie);
        handler = body.toString('latin1', 8, 12);
        break;
      case 'keys':
        ensure(handler === 'mdta', 'keys without an mdta handler');
        keys = readKeys(body);
        break;
      case 'ilst':
        ensure(
          handler === 'mdta' ? keys !== null : handler === 'mdir',
          'item list of unknown kind',
        );
        readItemList(body, keys, movie);
        break;
      case 'free':
      case 'dinf':
        break;
      default:
        throw new Unsure(`${box.type} box in meta`);
    }
  }
}

/** The key names of a `keys` box (version word, count, then size + namespace + name each). */
function readKeys(body: Buffer): string[] {
  ensure(body.length >= 8, 'short keys');
  const count = body.readUInt32BE(4);
  const names: string[] = [];
  let at = 8;
  while (at < body.length) {
    ensure(at + 8 <= body.length, 'cut key');
    const size = body.readUInt32BE(at);
    ensure(size >= 8 && at + size <= body.length, 'bad key size');
    ensure(body.toString('latin1', at + 4, at + 8) === 'mdta', 'key outside the mdta namespace');
    names.push(body.toString('latin1', at + 8, at + size));
    at += size;
  }
  ensure(names.length === count, 'key count does not match');
  return names;
}

/**
 * An item list: each item's id is a key's 1-based index (mdta) or an iTunes tag id (mdir);
 * read values are one UTF-8 `data` atom. exiftool's group is Keys for keyed items and
 * ItemList for the others.
 */
function readItemList(ilst: Buffer, keys: string[] | null, movie: Movie): void {
  for (const box of boxesIn(ilst)) {
    const body = boxBody(ilst, box);
    let name: string | undefined;
    if (keys) {
      const key = keys[ilst.readUInt32BE(box.start + 4) - 1];
      ensure(key !== undefined, 'item for no key');
      name = keyedTagName(key);
    } else {
      ensure(box.type !== '----', 'iTunes free-form item');
      if (box.type === '\xa9xyz') name = 'GPSCoordinates';
    }
    if (name === undefined) continue;
    const text = itemText(body);
    if (name === 'GPSCoordinates') movie.coordinates.push(isoCoordinates(text));
    else {
      const value = name === 'CreationDate' ? xmpDate(text) : jsonValue(text);
      movie.found.push({ group: keys ? 'Keys' : 'ItemList', name, value });
    }
  }
}

/**
 * The tag a key gives that is read here, undefined for one that gives no tag asked for;
 * Unsure for a key exiftool would map to one by rules not copied here.
 */
function keyedTagName(key: string): string | undefined {
  ensure(isPlainText(key), 'unusual key name');
  const short = key.replace(/^com\.(apple\.quicktime\.)?/, '');
  const read = READ_KEYS[short];
  if (read !== undefined) return read;
  ensure(!RISKY_KEYS.has(short) && !RISKY_KEYS.has(key), `key ${key}`);
  if (PLAIN_KEYS.has(short)) return undefined;
  // exiftool also looks a key up among item-list and user-data ids, which have no dot or dash.
  ensure(/[.-]/.test(short), `key ${key} that may be an item id`);
  ensure(!TAGS_THAT_MATTER.has(generatedKeyName(short)), `key ${key} named like a tag asked for`);
  return undefined;
}

/** The tag name exiftool makes up for a key it does not know (its ProcessKeys). */
function generatedKeyName(key: string): string {
  let name = key.charAt(0).toUpperCase() + key.slice(1);
  name = name.replace(/[^-0-9a-zA-Z_. ]/g, '');
  name = name.replace(/[. ]+(.?)/g, (_, next: string) => next.toUpperCase());
  name = name.replace(/_([a-z])/g, (_, next: string) => `_${next.toUpperCase()}`);
  name = name.replace(/([a-z])_([A-Z])/g, '$1$2');
  return name.length < 2 ? `Tag_${name}` : name;
}

/** The value of an item holding one UTF-8 `data` atom with no language. */
function itemText(item: Buffer): string {
  ensure(item.length >= 16, 'short item');
  ensure(item.readUInt32BE(0) === item.length, 'item with several atoms');
  ensure(item.toString('latin1', 4, 8) === 'data', 'item without data atom');
  ensure(item.readUInt32BE(8) === 1, 'item value not UTF-8 text');
  ensure(item.readUInt32BE(12) === 0, 'item value in a named language');
  const text = item.toString('latin1', 16).replace(/\0$/, '');
  ensure(isPlainText(text), 'text with control or non-ASCII characters');
  return text;
}

/**
 * exiftool's Composite GPSLatitude/GPSLongitude (from GPSCoordinates, or else from a 3GPP
 * location) and ImageSize (from the first track with a width and height).
 */
function compositeTags(movie: Movie): FoundTag[] {
  const found: FoundTag[] = [];
  const coordinates = new Set(movie.coordinates);
  const locations = new Set(movie.locations);
  ensure(coordinates.size + locations.size <= 1, 'positions from several places');
  const [position] = [...coordinates];
  const [location] = [...locations];
  let latitude: number | undefined;
  let longitude: number | undefined;
  if (position !== undefined) {
    [latitude, longitude] = position.split(' ').map(Number);
  } else if (location !== undefined) {
    latitude = Number(/Lat=([-+.\d]+)/.exec(location)?.[1]);
    longitude = Number(/Lon=([-+.\d]+)/.exec(location)?.[1]);
  }
  if (latitude !== undefined && longitude !== undefined) {
    // exiftool would print -0 for a value that rounds to zero from below; not worth copying.
    ensure(latitude !== 0 && longitude !== 0, 'position on the equator or meridian');
    found.push({ group: 'Composite', name: 'GPSLatitude', value: latitude });
    found.push({ group: 'Composite', name: 'GPSLongitude', value: longitude });
  }
  if (movie.width !== undefined && movie.height !== undefined) {
    found.push({ group: 'Composite', name: 'ImageSize', value: `${movie.width} ${movie.height}` });
  }
  return found;
}

import { basename, dirname, extname } from 'node:path';

/**
 * File names that belong to another file: XMP (both `IMG_1.xmp` and `IMG_1.jpg.xmp`),
 * Apple's edit lists (`.AAE`), Google Takeout's metadata (`IMG_1.jpg.json`) and video
 * thumbnails (`.THM`).
 */
const SIDECAR_EXTENSIONS = new Set(['.xmp', '.aae', '.json', '.thm']);

/** Still photos: the member of a group whose date and folder the group takes. */
const STILL_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.heic',
  '.heif',
  '.avif',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
]);

const RAW_EXTENSIONS = new Set([
  '.dng',
  '.cr2',
  '.cr3',
  '.crw',
  '.nef',
  '.nrw',
  '.arw',
  '.srf',
  '.sr2',
  '.raf',
  '.orf',
  '.rw2',
  '.pef',
  '.srw',
  '.x3f',
  '.3fr',
  '.iiq',
  '.rwl',
]);

const VIDEO_EXTENSIONS = new Set(['.mov', '.mp4', '.m4v', '.3gp', '.mts', '.m2ts', '.avi', '.mkv']);

/**
 * Google Takeout names the JSON of `IMG_1.jpg` `IMG_1.jpg.supplemental-metadata.json` in
 * newer exports, and cuts the whole name at 51 characters, so any start of this may be left.
 */
const SUPPLEMENTAL = '.supplemental-metadata';

/** Takeout's longest JSON name; a name this long may have been cut short. */
const TAKEOUT_NAME_LIMIT = 46;

/** Whether a file name is a sidecar's (by extension, case-insensitive). */
export function isSidecarName(name: string): boolean {
  return SIDECAR_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * How strongly a file claims to be its group's primary: still photo 0, RAW 1, video 2,
 * anything else 3, sidecar 4. The still decides the date, since a video's date is UTC and a
 * RAW converter's copy may carry the conversion time.
 */
export function primaryRank(name: string): number {
  const ext = extname(name).toLowerCase();
  if (STILL_EXTENSIONS.has(ext)) return 0;
  if (RAW_EXTENSIONS.has(ext)) return 1;
  if (VIDEO_EXTENSIONS.has(ext)) return 2;
  return SIDECAR_EXTENSIONS.has(ext) ? 4 : 3;
}

const isMediaExtension = (ext: string): boolean =>
  STILL_EXTENSIONS.has(ext) || RAW_EXTENSIONS.has(ext) || VIDEO_EXTENSIONS.has(ext);

/**
 * Whether a file name is neither a photo, RAW or video nor a sidecar of one: a PDF, a zip,
 * `Thumbs.db`, a camera's `M0100.CTG`, Takeout's `metadata.json` (a JSON whose name holds no
 * media file's name, and is too short to have been cut). The exif stage may still find that
 * such a file is an image (`.bmp`, `.psd`); the planner asks both.
 */
export function isNonMediaName(name: string): boolean {
  const lower = name.toLowerCase();
  const ext = extname(lower);
  if (isMediaExtension(ext)) return false;
  if (ext !== '.json') return !SIDECAR_EXTENSIONS.has(ext);
  if (lower.length >= TAKEOUT_NAME_LIMIT) return false;
  return !isMediaExtension(extname(takeoutBase(lower.slice(0, -ext.length))));
}

/**
 * The key files of one group share, lower-cased: `IMG_1.JPG`, `IMG_1.CR2`, `IMG_1.xmp`,
 * `img_1.jpg.xmp`, `IMG_1.jpg.supplemental-metadata.json` and Takeout's `IMG_1.jpg(1).json`
 * (the JSON of `IMG_1(1).jpg`) all give `img_1` (the last `img_1(1)`).
 */
export function companionStem(name: string): string {
  const lower = name.toLowerCase();
  const ext = extname(lower);
  if (!SIDECAR_EXTENSIONS.has(ext)) return lower.slice(0, lower.length - ext.length);
  let base = lower.slice(0, lower.length - ext.length);
  if (ext === '.json') base = takeoutBase(base);
  const inner = extname(base);
  return isMediaExtension(inner) ? base.slice(0, base.length - inner.length) : base;
}

/**
 * The group a file belongs to: its folder and {@link companionStem}, as `folder\0stem`. The
 * daemon's gatherer, its inbox watcher and `scan` group files by it.
 */
export function companionKey(path: string): string {
  return `${dirname(path)}\0${companionStem(basename(path))}`;
}

/** A Takeout JSON name without `.json`, turned back into the media file's name. */
function takeoutBase(base: string): string {
  const dot = base.lastIndexOf('.');
  const tail = dot >= 0 ? base.slice(dot) : '';
  // `.s` alone is too short to be sure it is a cut-off `.supplemental-metadata`.
  if (tail.length > 2 && SUPPLEMENTAL.startsWith(tail)) base = base.slice(0, dot);
  const numbered = /^(.*?)(\.[^.]+)\((\d+)\)$/.exec(base);
  return numbered ? `${numbered[1]}(${numbered[3]})${numbered[2]}` : base;
}

/**
 * Whether a Takeout JSON whose name was cut short belongs to `mediaName`: its name without
 * `.json` is the start of the media file's name.
 */
export function isTruncatedTakeoutOf(jsonName: string, mediaName: string): boolean {
  const lower = jsonName.toLowerCase();
  if (!lower.endsWith('.json') || lower.length < TAKEOUT_NAME_LIMIT) return false;
  return mediaName.toLowerCase().startsWith(takeoutBase(lower.slice(0, -'.json'.length)));
}

/**
 * The name a group member takes beside its primary, once the primary's name in the library
 * is known: `IMG_1.jpg.xmp` follows `IMG_1 (1).jpg` as `IMG_1 (1).jpg.xmp`, `IMG_1.CR2` and
 * `IMG_1.xmp` as `IMG_1 (1).CR2` and `IMG_1 (1).xmp`. A member whose name does not start
 * with the primary's is named after it: a cut-short Takeout JSON takes the primary's whole
 * name plus `.json`, a Live Photo's video paired by its ContentIdentifier the primary's stem
 * plus its own extension (`IMG_1.MOV` beside `IMG_1.HEIC`, as photo apps expect a pair).
 */
export function memberName(primarySource: string, primaryTarget: string, member: string): string {
  const lower = member.toLowerCase();
  const source = primarySource.toLowerCase();
  if (lower.startsWith(source)) return primaryTarget + member.slice(source.length);
  const sourceExt = extname(primarySource);
  const stem = source.slice(0, source.length - sourceExt.length);
  const targetStem = primaryTarget.slice(0, primaryTarget.length - extname(primaryTarget).length);
  if (lower.startsWith(stem + '.')) return targetStem + member.slice(stem.length);
  return (isSidecarName(member) ? primaryTarget : targetStem) + extname(member);
}

import type { RawTags } from '../exiftool.js';
import type { FoundTag } from './found-tag.js';

/** exiftool options the native readers behave like; any other argument makes them decline. */
const OPTIONS: readonly (readonly string[])[] = Object.freeze([
  ['-fast'],
  ['-a'],
  ['-G1'],
  ['-api', 'largefilesupport=1'],
]);

/**
 * Each tag the native readers can answer for, as it must be asked: `#` where they give
 * exiftool's numeric (`-n`) form, plain where they give its printed form. A tag asked for in
 * another form, or not listed, makes them decline. The tags they never produce (IPTC and XMP
 * dates, video tags, Error, Warning) are listed because a file they read cannot hold them.
 */
const ANSWERABLE: ReadonlySet<string> = new Set([
  'GPSLatitude#',
  'GPSLongitude#',
  'GPSLatitudeRef#',
  'GPSLongitudeRef#',
  'Orientation#',
  'ImageSize#',
  'FileType',
  'MIMEType',
  'DateTimeOriginal',
  'OffsetTimeOriginal',
  'OffsetTime',
  'SubSecTimeOriginal',
  'CreateDate',
  'OffsetTimeDigitized',
  'SubSecTimeDigitized',
  'MediaCreateDate',
  'DateCreated',
  'TimeCreated',
  'CreationDate',
  'CreationTime',
  'GPSDateTime',
  'ModifyDate',
  'Make',
  'Model',
  'ContentIdentifier',
  'MediaGroupUUID',
  'Error',
  'Warning',
]);

/** The names of the tags the native readers answer for (those of ANSWERABLE, without `#`). */
export const ANSWERABLE_NAMES: ReadonlySet<string> = new Set(
  [...ANSWERABLE].map((tag) => tag.replace(/#$/, '')),
);

/**
 * The tag names exiftool's `readArgs` ask for, in their order, or `null` when the arguments
 * hold anything the native readers do not answer exactly as exiftool would.
 */
export function requestedTags(readArgs: readonly string[]): string[] | null {
  // The stage asks with one frozen list for every file: worked out once (a list that can
  // still change is worked out each time).
  if (!Object.isFrozen(readArgs)) return parseRequested(readArgs);
  if (!REQUESTED.has(readArgs)) REQUESTED.set(readArgs, parseRequested(readArgs));
  return REQUESTED.get(readArgs) ?? null;
}

/** {@link requestedTags} of each frozen argument list asked with. */
const REQUESTED = new WeakMap<readonly string[], string[] | null>();

function parseRequested(readArgs: readonly string[]): string[] | null {
  const tags: string[] = [];
  for (let i = 0; i < readArgs.length;) {
    const option = OPTIONS.find((o) => o.every((part, k) => readArgs[i + k] === part));
    if (option) {
      i += option.length;
      continue;
    }
    const arg = readArgs[i] ?? '';
    if (!arg.startsWith('-') || !ANSWERABLE.has(arg.slice(1))) return null;
    tags.push(arg.slice(1).replace(/#$/, ''));
    i += 1;
  }
  return tags;
}

/**
 * The JSON object exiftool writes for `-G1 -a` and these tags: for each tag asked for, in that
 * order, every group's value in the order the file holds them (`found` is in file order, with
 * exiftool's Composite tags last, as it derives them after reading).
 */
export function toRawTags(found: readonly FoundTag[], requested: readonly string[]): RawTags {
  const raw: RawTags = {};
  for (const name of requested) {
    for (const tag of found) if (tag.name === name) raw[`${tag.group}:${tag.name}`] = tag.value;
  }
  return raw;
}

import type { ExifTool, WriteTags } from 'exiftool-vendored';
import { constants, copyFile, stat } from 'node:fs/promises';
import type { Tag } from '../lib/media.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';

/** Where tags are written: an XMP sidecar, into the file itself, or nowhere. */
export type TagWriteMode = 'sidecar' | 'embed' | 'none';

/** The sidecar darktable, digiKam and Lightroom (with "read sidecars") read: `NAME.EXT.xmp`. */
export function sidecarPath(file: string): string {
  return `${file}.xmp`;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value === undefined || value === null || value === '') return [];
  return [String(value)];
}

/** Keywords already there come first; ours are added once each. */
function merge(existing: string[], tags: Tag[]): string[] {
  const out = [...existing];
  for (const { label } of tags) if (!out.includes(label)) out.push(label);
  return out;
}

async function writeSubject(file: string, existing: unknown, tags: Tag[], exiftool: ExifTool) {
  const subject = merge(asList(existing), tags);
  // exiftool would otherwise leave FILE_original beside it; the caller keeps the original.
  await exiftool.write(file, { 'XMP-dc:Subject': subject } as WriteTags, {
    writeArgs: ['-overwrite_original'],
  });
}

async function writeSidecar(file: string, tags: Tag[], exiftool: ExifTool): Promise<string> {
  const sidecar = sidecarPath(file);
  const existing = (await isFile(sidecar))
    ? (await exiftool.read(sidecar, ['-XMP-dc:Subject'])).Subject
    : undefined;
  await writeSubject(sidecar, existing, tags, exiftool);
  return sidecar;
}

/**
 * Writes tags as `XMP-dc:Subject` keywords, merged with any already there. Called after the
 * file reached the library. Returns the sidecar created or changed (`null` when none was).
 *
 * `embed` rewrites the file through exiftool; give `originalCopy` to keep its untouched bytes
 * there first (the journal's undo source). A format exiftool cannot write gets a sidecar
 * instead, so the tags are never lost.
 */
export async function writeTags(
  file: string,
  tags: Tag[],
  mode: TagWriteMode,
  exiftool: ExifTool,
  options: { originalCopy?: string } = {},
): Promise<{ written: string | null }> {
  if (mode === 'none' || tags.length === 0) return { written: null };
  try {
    if (mode === 'sidecar') return { written: await writeSidecar(file, tags, exiftool) };
    if (options.originalCopy) {
      await copyFile(file, options.originalCopy, constants.COPYFILE_EXCL);
    }
    try {
      const existing = (await exiftool.read(file, ['-XMP-dc:Subject'])).Subject;
      await writeSubject(file, existing, tags, exiftool);
      return { written: null };
    } catch {
      return { written: await writeSidecar(file, tags, exiftool) };
    }
  } catch (error) {
    throw new PhotosortdError(
      'TAGS_WRITE_FAILED',
      `Cannot write tags for ${file} (${mode}): ${errorMessage(error)}; check that the library ` +
        'folder is writable',
      { cause: error },
    );
  }
}

import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every name photosortd uses inside its state folder, in one place, so that what the folder
 * holds (and what a backup must keep) is read here rather than collected from a dozen modules.
 */
export const STATE_NAMES = Object.freeze({
  /** The journal of every file operation: what undo and recovery read. */
  journal: 'journal.sqlite',
  /** Held (an exclusive SQLite lock) by the one process that may write the state. */
  lock: 'lock.sqlite',
  /** Who holds {@link STATE_NAMES.lock}: pid, command, since when. Information only. */
  lockHolder: 'lock.json',
  /** The running daemon's API URL and the secret it proves itself with. Information only. */
  daemon: 'daemon.json',
  /** The admin API key the CLI uses when `api.keys` is not configured. */
  apiKey: 'api-key',
  /** Files removed by the `delete` duplicate policy, kept for undo. */
  trash: 'trash',
  /** Originals of files whose tags were embedded, kept for undo. */
  originals: 'originals',
  /** The GeoNames download and the index prepared from it. */
  geonames: 'geonames',
  /** Places already looked up, by rounded position. */
  geocodeCache: 'geocode-cache.sqlite',
  /** A scratch file the exiftool geocoder reads to check it works. */
  geocodeProbe: 'geocode-probe.txt',
  /** Image embeddings already computed, by content hash. */
  taggingCache: 'tagging-cache.sqlite',
  /** The semantic search index: image embeddings by content hash. */
  search: 'search.sqlite',
  /** Thumbnails the dashboard shows. */
  thumbnails: 'thumbnails',
});

/** The absolute paths of {@link STATE_NAMES} in one state folder. */
export type StatePaths = Readonly<Record<keyof typeof STATE_NAMES, string>>;

/** The paths of everything photosortd keeps in `stateDir`. */
export function statePaths(stateDir: string): StatePaths {
  return Object.freeze(
    Object.fromEntries(
      Object.entries(STATE_NAMES).map(([key, name]) => [key, join(stateDir, name)]),
    ) as Record<keyof typeof STATE_NAMES, string>,
  );
}

/**
 * The state folder holds every path, place and tag of the library and the API key: only its
 * owner may read it. Files in it are created 0600; this makes the folder 0700, tightening
 * one an older photosortd created 0755.
 */
export const STATE_DIR_MODE = 0o700;

/** The mode of files in the state folder. */
export const STATE_FILE_MODE = 0o600;

/** Creates the state folder (0700), or tightens an existing one to 0700. */
export async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: STATE_DIR_MODE });
  await chmod(stateDir, STATE_DIR_MODE);
}

/** Creates `file` empty with mode 0600 unless it exists, so SQLite opens a private file. */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', STATE_FILE_MODE));
}

/**
 * Writes a small JSON record (`lock.json`, `daemon.json`) whole, 0600, then renames it into
 * place, so that a reader never sees half of it.
 */
export async function writeStateRecord(file: string, value: object): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(value) + '\n', { mode: STATE_FILE_MODE });
  await rename(temporary, file);
}

/** The JSON record in `file` when it passes `valid`, else null (absent, unreadable, damaged). */
export async function readStateRecord<T>(
  file: string,
  valid: (value: Partial<T>) => boolean,
): Promise<T | null> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<T>;
    return valid(value) ? (value as T) : null;
  } catch {
    return null;
  }
}

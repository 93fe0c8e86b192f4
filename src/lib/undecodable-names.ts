import { link, lstat, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from './errors.js';

/**
 * Names that are not valid UTF-8 (a file from an old camera card, a Windows-1252 zip, a
 * Samba share) reach Node as strings with U+FFFD in place of the bad bytes, and that string
 * names no file: the file could be neither read nor filed, and looked as if it had
 * disappeared. Such a name is given a valid one in place — each bad byte written as `%XX` —
 * so that every later step can name it; the file's content is untouched.
 */

/** Errors of `link` on a filesystem (or for an entry) that cannot hard-link. */
const LINK_REFUSED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The character U+FFFD that Node puts where a name's bytes are not UTF-8. */
export const REPLACEMENT = '\uFFFD';

/** Whether `name` decodes as UTF-8 without loss. */
function isUtf8(name: Buffer): boolean {
  try {
    utf8.decode(name);
    return true;
  } catch {
    return false;
  }
}

/** `name` decoded as UTF-8, with each byte that is not part of a valid sequence as `%XX`. */
export function escapeUndecodable(name: Buffer): string {
  let text = '';
  let i = 0;
  while (i < name.length) {
    let step = 0;
    for (let length = 1; length <= 4 && i + length <= name.length && step === 0; length++) {
      try {
        text += utf8.decode(name.subarray(i, i + length));
        step = length;
      } catch {
        // Not a whole character yet (or never one): try a longer sequence.
      }
    }
    if (step === 0) {
      text += `%${name[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      step = 1;
    }
    i += step;
  }
  return text;
}

/** A renamed entry: its new path, and its old name as Node shows it (with U+FFFD). */
export interface RenamedEntry {
  path: string;
  shownAs: string;
}

/**
 * Gives every entry of `folder` whose name is not valid UTF-8 the name
 * {@link escapeUndecodable} makes of it, never replacing an existing entry (a taken name gets
 * ` (1)`, ` (2)`… appended). Files move by `link` + `unlink`; folders,
 * and files where hard links are refused, by `rename` after checking the name is free.
 * Returns what was renamed; an entry that cannot be renamed is left as it is.
 */
export async function renameUndecodable(folder: string): Promise<RenamedEntry[]> {
  const names = await readdir(folder, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
  const renamed: RenamedEntry[] = [];
  for (const name of names.filter((entry) => !isUtf8(entry))) {
    const from = Buffer.concat([Buffer.from(`${folder}/`), name]);
    const escaped = escapeUndecodable(name);
    for (let n = 0; n < 100; n++) {
      const to = join(folder, n === 0 ? escaped : `${escaped} (${n})`);
      const result = await moveToFreeName(from, to);
      if (result === 'taken') continue;
      if (result === 'moved') renamed.push({ path: to, shownAs: name.toString('utf8') });
      break;
    }
  }
  return renamed;
}

async function moveToFreeName(from: Buffer, to: string): Promise<'moved' | 'taken' | 'failed'> {
  try {
    await link(from, to);
    await unlink(from);
    return 'moved';
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return 'taken';
    if (!LINK_REFUSED.has(code)) return 'failed';
  }
  // A folder, or a filesystem without hard links: rename, once the name is seen to be free.
  const free = await lstat(to).then(
    () => false,
    (error: unknown) => errorCode(error) === 'ENOENT',
  );
  if (!free) return 'taken';
  try {
    await rename(from, to);
    return 'moved';
  } catch {
    return 'failed';
  }
}

import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { STATE_NAMES, statePaths } from '../lib/state-paths.js';

/** Where the generated admin key lives for a state folder. */
export function apiKeyPath(stateDir: string): string {
  return statePaths(stateDir).apiKey;
}

/** SHA-256 (hex) of a key: what `api.keys[].sha256` holds. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A new random key: 32 bytes from the CSPRNG, base64url, with a prefix that makes it easy to
 * recognise (and to grep for in a leaked log or repository).
 */
function generateApiKey(): string {
  return `psd_${randomBytes(32).toString('base64url')}`;
}

/** The key in `<stateDir>/api-key`, or `null` when the file does not exist or is empty. */
export async function readApiKey(stateDir: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(apiKeyPath(stateDir), 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new PhotosortdError(
      'API_KEY_UNREADABLE',
      `Cannot read the API key file ${apiKeyPath(stateDir)}: ${errorMessage(error)}. ` +
        'Run the command as the user the daemon runs as, or set PHOTOSORTD_API_KEY.',
      { cause: error },
    );
  }
  const key = text.trim();
  return key === '' ? null : key;
}

/**
 * Makes sure `<stateDir>/api-key` holds an admin key and returns it. A new key is written with
 * mode 0600 and appears whole or not at all, so two starts racing agree on one key; an
 * existing file that others can read is tightened to 0600 with a warning. The log says where
 * the key is, never the key.
 */
export async function ensureApiKey(stateDir: string, logger: Logger): Promise<string> {
  const file = apiKeyPath(stateDir);
  const existing = await readApiKey(stateDir);
  if (existing !== null) {
    const { mode } = await stat(file);
    if ((mode & 0o077) !== 0) {
      await chmod(file, 0o600);
      logger.warn(
        { file, mode: (mode & 0o777).toString(8) },
        'API key file was readable by other users; its mode is now 0600. ' +
          'Consider replacing the key: delete the file and restart photosortd',
      );
    }
    return existing;
  }

  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  // Written whole to a private temporary file, then linked into place: link() never replaces
  // an existing file, so a start racing this one either wins or reads the complete winner.
  const temporary = join(
    stateDir,
    `.${STATE_NAMES.apiKey}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
  try {
    await writeFile(temporary, `${generateApiKey()}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    try {
      await link(temporary, file);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      // An empty file (an interrupted older start, a stray `touch`) holds no key to keep.
      if ((await readApiKey(stateDir)) === null) await rename(temporary, file);
    }
  } catch (error) {
    throw new PhotosortdError(
      'API_KEY_UNWRITABLE',
      `Cannot write the API key file ${file}: ${errorMessage(error)}. ` +
        'Check that the state folder (config key `state`) is writable by the daemon.',
      { cause: error },
    );
  } finally {
    await rm(temporary, { force: true });
  }
  // Whatever won a race is what the CLI will read, so that is the key to accept.
  const key = await readApiKey(stateDir);
  if (key === null) {
    throw new PhotosortdError(
      'API_KEY_UNWRITABLE',
      `The API key file ${file} is still empty after writing it; check the state folder's disk`,
    );
  }
  logger.info(
    { file },
    'No API keys configured: wrote an admin API key for the CLI (mode 0600). ' +
      'Send it as "Authorization: Bearer <key>" to use the API directly',
  );
  return key;
}

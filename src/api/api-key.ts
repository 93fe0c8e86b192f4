import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** The generated key's file name inside the state folder. */
export const API_KEY_FILE = 'api-key';

/** Where the generated admin key lives for a state folder. */
export function apiKeyPath(stateDir: string): string {
  return join(stateDir, API_KEY_FILE);
}

/** SHA-256 (hex) of a key: what `api.keys[].sha256` holds. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A new random key: 32 bytes from the CSPRNG, base64url, with a prefix that makes it easy to
 * recognise (and to grep for in a leaked log or repository).
 */
export function generateApiKey(): string {
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
 * mode 0600 (created exclusively, so two starts cannot race each other into different keys);
 * an existing file that others can read is tightened to 0600 with a warning. The log says
 * where the key is, never the key.
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
  const key = generateApiKey();
  let handle;
  try {
    // Exclusive create, so two starts cannot race each other into different keys.
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw unwritable(file, error);
    const raced = await readApiKey(stateDir);
    if (raced !== null) return raced;
    // An empty file, left by an interrupted start: replace it.
    handle = await open(file, 'w', 0o600).catch((reason: unknown) => {
      throw unwritable(file, reason);
    });
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${key}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  logger.info(
    { file },
    'No API keys configured: wrote an admin API key for the CLI (mode 0600). ' +
      'Send it as "Authorization: Bearer <key>" to use the API directly',
  );
  return key;
}

function unwritable(file: string, error: unknown): PhotosortdError {
  return new PhotosortdError(
    'API_KEY_UNWRITABLE',
    `Cannot write the API key file ${file}: ${errorMessage(error)}. ` +
      'Check that the state folder (config key `state`) is writable by the daemon.',
    { cause: error },
  );
}

import { lstat } from './metadata.js';
import { errorCode } from './errors.js';

/**
 * Whether something (a file, folder or link, not followed) is at `path`. Only "no such
 * file" means no: any other failure (permissions, I/O) is thrown, so a caller never mistakes
 * an unreadable place for a free one.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

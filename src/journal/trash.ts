import { basename, join } from 'node:path';

/**
 * The trash folder of a state folder: duplicates deleted under `duplicates: delete` and
 * files undo takes back out of the library go there, one folder per batch, so undo can
 * bring them back.
 */
export function trashDir(stateDir: string): string {
  return join(stateDir, 'trash');
}

/** Where `file` goes in the trash `trash` for the journal batch `batch`. */
export function trashPath(trash: string, batch: string, file: string): string {
  return join(trash, batch, basename(file));
}

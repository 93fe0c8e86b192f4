import { close, fstat, fsync, open, read } from 'node:fs';
import { promisify } from 'node:util';

/*
 * The callback API on plain descriptors, as promises. A FileHandle (node:fs/promises) costs
 * about a third more CPU per call and a stream more still; on the hot path every file is
 * opened, read and closed at least once (hash or sample), and its folder synced.
 */

/** `open(2)`: a descriptor for `path`. */
export const openFd = promisify(open);
/** `fstat(2)` of a descriptor. */
export const fstatFd = promisify(fstat);
/** A positioned (or, with `position` null, sequential) read into `buffer`. */
export const readFd = promisify(read);
/** `fsync(2)` of a descriptor. */
export const fsyncFd = promisify(fsync);
/** `close(2)` of a descriptor. */
export const closeFd = promisify(close);

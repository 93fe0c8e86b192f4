import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * The shared sample corpus, beside the project's folder (`../shared/corpus`), as it is on a
 * developer's machine and in CI. Its `ia_` and `im_` files may not be copied into the
 * project, so suites that use it read it in place and skip when it is absent.
 */
export const CORPUS = process.env.PHOTOSORTD_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
/** The corpus's files. */
export const CORPUS_DEV = join(CORPUS, 'dev');
/** Whether the corpus is here. */
export const HAS_CORPUS = existsSync(CORPUS_DEV);

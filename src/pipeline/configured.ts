import { contentLockKey } from './content-hash.js';
import type { Config } from '../config/load.js';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import { sameShotLock } from './groups/followers.js';
import { livePhotoLock } from './live-photo.js';
import type { ExclusiveLock } from './pipeline.js';
import type { ContentLookup } from './content-hash.js';
import { type DuplicatePolicy, type NonMediaPolicy } from './plan.js';
import { compileRules, type CompiledRule } from './rules.js';
import { parseTemplate, type CompiledTemplate } from './template.js';

/** The configuration's templates, compiled. */
export interface CompiledTemplates {
  rules: CompiledRule[];
  unsorted: CompiledTemplate;
  duplicates: DuplicatePolicy;
  nonMedia: NonMediaPolicy;
}

/**
 * Compiles every template of the configuration, so that a bad one is refused before any
 * file is touched, with the key it came from in the message.
 */
export function compileTemplates(config: Config): CompiledTemplates {
  const at = (key: string, source: string): CompiledTemplate => {
    try {
      return parseTemplate(source);
    } catch (error) {
      throw new PhotosortdError(errorCode(error), `${key}: ${errorMessage(error)}`);
    }
  };
  return {
    rules: compileRules(config.rules),
    unsorted: at('unsorted', config.unsorted),
    duplicates:
      config.duplicates === 'skip' || config.duplicates === 'delete'
        ? config.duplicates
        : at('duplicates', config.duplicates),
    nonMedia: config.nonMedia === 'leave' ? 'leave' : at('nonMedia', config.nonMedia),
  };
}

/**
 * What runs one at a time: files with the same content (the second is then a duplicate, not
 * a ` (1)` copy), the halves of a RAW+JPEG pair, and the two halves of a Live Photo paired
 * by ContentIdentifier.
 */
export const PIPELINE_LOCKS: ExclusiveLock[] = [
  { after: 'identify', key: contentLockKey },
  sameShotLock,
  livePhotoLock,
];

/** Options of {@link buildStages}. */
export interface StageOptions {
  /** The journal batch new moves belong to. */
  batch: () => string;
  dryRun: boolean;
  /**
   * Where the planner looks for content the library already holds (default: the library
   * index). A lookup that finds nothing files a duplicate like any file, when a person asks.
   */
  content?: ContentLookup;
  /**
   * Leave files that an undo put back (same path, same content) where they are. The daemon
   * wants this, since undo restores into the inbox it watches; an explicit `scan` does not.
   */
  skipRestored?: boolean;
  /** Leave files left in the inbox before as they are (`left-before.ts`); the daemon's. */
  skipLeftBefore?: boolean;
  /**
   * Throws `LIBRARY_UNAVAILABLE` unless the library root is still the folder (on the device)
   * it was at start; the mover calls it right before filing into the library. The daemon and
   * `scan` pass one; without it the mover only checks that the root is a folder.
   */
  checkLibrary?: () => Promise<void>;
}

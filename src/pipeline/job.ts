/**
 * The record that flows through the pipeline. Each stage takes a `FileJob` and returns it
 * enriched; a stage never mutates the record it was given. The media value types it carries
 * (dates, GPS, places, tags) are in `lib/media.ts`.
 */

import type { SeenBytes } from '../lib/hash.js';
import type { Action, MediaKind, PhotoMeta, Place, Tag } from '../lib/media.js';

/** Where a file goes and why. */
export interface Plan {
  action: Action;
  /** Name of the rule that matched, or `null` for unsorted/duplicate/error. */
  rule: string | null;
  /** Absolute target path, or `null` when the file stays where it is. */
  target: string | null;
  /** For `duplicate`: the library file with the same content. */
  duplicateOf?: string;
  /**
   * In a dry run, the target the rule rendered when an earlier file of the run was handed
   * that name and `target` is a numbered variant: `onCollision: skip` leaves such a file.
   */
  wanted?: string;
  /** Why the action was chosen, for `unsorted`, `skip`, `duplicate` and `error`. */
  reason?: string;
}

/** An error attached to a job: a code for programs, a message for people. */
export interface JobError {
  code: string;
  message: string;
  stage: string;
}

/** The record each stage enriches. */
export interface FileJob {
  /** Absolute path of the file in the inbox. */
  source: string;
  /** The inbox (or scanned directory) it was found under. */
  root: string;
  size: number;
  mtimeMs: number;
  /**
   * When the file arrived where it is: the later of its ctime (a copy, a move and a write
   * all set it) and its birthtime.
   * An mtime this close to it is only the time of the copy, not a capture date.
   */
  arrivedMs?: number;
  /** SHA-256 of the content, hex. */
  hash?: string;
  /** Size, mtime and ctime when the content was hashed (`contentStamp`): a link checks it. */
  stamp?: string;
  /** For a file not hashed on sight: the hash of its size and ends (`sampleFile`). */
  sample?: string;
  /**
   * The bytes identify's hash or sample read: the exif stage reads the tags from them (and
   * the file only for what they lack), then drops them.
   */
  seen?: SeenBytes;
  kind?: MediaKind;
  meta?: PhotoMeta;
  place?: Place | null;
  tags?: Tag[] | null;
  plan?: Plan;
  error?: JobError | null;
  /**
   * Files filed with this one, into its folder under its name (sidecars, the RAW of a JPEG,
   * a Live Photo's video). They run identify and exif; this file's date decides for all.
   */
  companions?: FileJob[];
  /**
   * Set on a companion the planner split from its group (a video with its photo's name but
   * taken at another moment): it was planned, and is filed, as a file of its own.
   */
  detached?: boolean;
  /** The journal group the move joins (a late sidecar joins the group of its file). */
  group?: string;
}

/** A pipeline stage: a function of the record that returns it enriched. */
export type Stage = (job: FileJob) => Promise<FileJob>;

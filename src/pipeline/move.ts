import { randomBytes } from 'node:crypto';
import { stat } from '../lib/metadata.js';
import { basename, dirname } from 'node:path';
import type { Journal } from '../journal/journal.js';
import { moveFile, type MoveDone } from '../journal/journaled-move.js';
import { trashPath } from '../journal/trash.js';
import type { LibraryIndex } from '../journal/library-index.js';
import type { OperationKind } from '../journal/types.js';
import { formatCaptureDate } from '../lib/capture-date.js';
import { errorCode, errorMessage, PhotosortdError } from '../lib/errors.js';
import { sameBytes } from '../lib/hash.js';
import { nextFreeName, removeEmptyFolders } from '../lib/safe-move.js';
import { isInside } from '../lib/sanitize.js';
import {
  assertInsideRoot,
  examineFolder,
  identityOf,
  libraryUnavailable,
  sameIdentity,
} from '../lib/real-path.js';
import { recordFiledContent } from './changed-after-filing.js';
import { freeGroupTarget, memberTarget, needsGroupName } from './groups/targets.js';
import type { FileJob, Plan, Stage } from './job.js';
import { exists } from '../lib/exists.js';
import { assertNotBeingWritten, type OpenWriterCheck } from '../lib/open-writers.js';

/**
 * What happens to a file whose content the library already holds: left in the inbox,
 * moved to the trash (after a byte-for-byte comparison; undo brings it back), or moved to
 * the duplicates folder the planner rendered into `plan.target`.
 */
type DuplicateHandling = 'skip' | 'delete' | { folder: true };

/** Options of {@link createMoveStage}. */
export interface MoveStageOptions {
  journal: Journal;
  index: LibraryIndex;
  /** The journal batch the next move belongs to. */
  batch: () => string;
  /** A different file at the target: number this one (`name (1).ext`) or leave it in the inbox. */
  onCollision: 'suffix' | 'skip';
  duplicates: DuplicateHandling;
  /** Where the `delete` policy puts duplicates, one folder per batch. */
  trashDir: string;
  /**
   * Throws unless the library root is still the folder it was at start (see assemble.ts).
   * Without it the root only has to be a folder.
   */
  checkLibrary?: () => Promise<void>;
  /** Change nothing on disk; the returned plan says where the file would go. */
  dryRun: boolean;
  /** Who still writes a source; asked right before it moves. */
  writers?: OpenWriterCheck;
}

/** {@link MoveStageOptions} with the collision policy as safe-move takes it. */
interface Mover extends MoveStageOptions {
  onExists: 'suffix' | 'fail';
}

/**
 * Carries out the planner's decision with a journaled, verified, no-clobber move.
 * On failure the file is still in the inbox, its journal row is `failed`, and the job comes
 * back with `plan.action = 'error'` and an error for the `move` stage.
 */
export function createMoveStage(options: MoveStageOptions): Stage {
  const mover: Mover = {
    ...options,
    onExists: options.onCollision === 'suffix' ? 'suffix' : 'fail',
  };
  return async (input) => {
    // A member the planner split from the group is filed on its own, whatever becomes of it.
    const own = (input.companions ?? []).filter((member) => member.detached);
    if (own.length === 0) return act(mover, input);
    const companions = input.companions?.filter((member) => !own.includes(member));
    const job = await act(mover, { ...input, companions });
    const filed: FileJob[] = [];
    for (const member of own) filed.push(await act(mover, member));
    return { ...job, companions: [...(job.companions ?? []), ...filed] };
  };
}

/** Carries out one job's plan; a failure becomes the job's error, with the file left in place. */
async function act(mover: Mover, job: FileJob): Promise<FileJob> {
  const plan = job.plan;
  if (!plan) return job;
  try {
    if (plan.action === 'move' || plan.action === 'unsorted') return await file(mover, job, plan);
    if (plan.action === 'duplicate') return await duplicate(mover, job, plan);
    return job;
  } catch (error) {
    return failed(job, plan, error);
  }
}

/** Files a job (and its companions) at its planned target, or a free variant of it. */
async function file(mover: Mover, job: FileJob, plan: Plan): Promise<FileJob> {
  const { onCollision, dryRun } = mover;
  const planned = requireTarget(job, plan);
  // A library file filed again (a late Takeout JSON) that its rules put where it is (its
  // `{name}` is its library name, `IMG_1 (1)` included).
  if (job.group && planned === job.source) return fileBeside(mover, job, plan, job.group);
  // A group takes the first name free for every member, so its members keep one name, and
  // a still or RAW a name no other shot's file has (its late half will take it too).
  const grouped = needsGroupName(job);
  const target = grouped ? await freeGroupTarget(job, planned) : planned;
  // A dry run's earlier file took the name (the run would file that one first).
  if (onCollision === 'skip' && plan.wanted !== undefined) return collided(job, plan, plan.wanted);
  if (onCollision === 'skip' && (grouped ? target !== planned : await exists(target))) {
    return collided(job, plan, planned);
  }
  if (dryRun) {
    const free = grouped ? target : await nextFreeName(target);
    return { ...job, plan: { ...plan, target: free }, ...(await companions(mover, job, free, '')) };
  }
  const group = job.group ?? newGroupId();
  const moved = await journaled(mover, job, plan, { op: 'move', target, group });
  if (!moved) return collided(job, plan, target);
  const placed = moved.target;
  await indexPlaced(mover, job, moved);
  if (isInside(mover.index.library, job.source)) {
    mover.index.remove(job.source);
    await removeEmptyFolders(dirname(job.source), mover.index.library);
  }
  return {
    ...job,
    group,
    plan: { ...plan, target: placed },
    ...(await companions(mover, job, placed, group)),
  };
}

/**
 * Files a job's companions beside it, in its journal group, when it is a library file filed
 * again that its rules put where it already is.
 */
async function fileBeside(mover: Mover, job: FileJob, plan: Plan, group: string) {
  const reason = plan.reason ?? 'already where the rules put it';
  const here = { ...job, group, plan: { ...plan, target: job.source, reason } };
  return { ...here, ...(await companions(mover, job, job.source, group)) };
}

/**
 * Moves the companions of a job whose primary went to `primaryTarget`, each under its own
 * name beside it, in the primary's journal group. A member that fails stays in the inbox
 * with its error; the others still go.
 */
async function companions(
  mover: Mover,
  job: FileJob,
  primaryTarget: string,
  group: string,
  op: OperationKind = 'move',
): Promise<Pick<FileJob, 'companions'>> {
  if (!job.companions) return {};
  const { journal, index, dryRun } = mover;
  const moved: FileJob[] = [];
  for (const member of job.companions) {
    const plan = member.plan;
    if (!plan || plan.action === 'skip') {
      moved.push(member);
      continue;
    }
    const target = memberTarget(job, member, primaryTarget);
    if (dryRun) {
      moved.push({ ...member, plan: { ...plan, target } });
      continue;
    }
    try {
      const done = await journaled(mover, member, plan, {
        op,
        target,
        group,
        onExists: 'suffix',
      });
      const placed = done?.target ?? target;
      if (op === 'move' && done) {
        await indexPlaced(mover, member, done);
        // A Live Photo's video filed before its still brings its journal group along and
        // leaves no empty folder behind.
        if (member.group && member.group !== group) journal.mergeGroup(member.group, group);
        if (isInside(index.library, member.source)) {
          index.remove(member.source);
          await removeEmptyFolders(dirname(member.source), index.library);
        }
      }
      moved.push({ ...member, plan: { ...plan, target: placed } });
    } catch (error) {
      moved.push(failed(member, plan, error));
    }
  }
  return { companions: moved };
}

/** Carries out the duplicate policy for a job whose content the library already holds. */
async function duplicate(mover: Mover, job: FileJob, plan: Plan): Promise<FileJob> {
  const { duplicates, trashDir, dryRun } = mover;
  const original = plan.duplicateOf;
  if (duplicates === 'skip' || !original) {
    const reason = `same content as ${original ?? 'a library file'}; left where it is (duplicates: skip)`;
    return { ...job, plan: { ...plan, target: null, reason }, ...staying(job, reason) };
  }
  if (duplicates !== 'delete') return file(mover, job, plan);
  if (sameIdentity(await identityOf(job.source), await identityOf(original))) {
    // The library's own file seen through a link or mount: never trashed for being itself.
    const reason = `${job.source} is ${original} itself (same device and inode), not a duplicate; left where it is`;
    return {
      ...job,
      plan: { ...plan, action: 'skip', target: null, reason },
      ...staying(job, reason),
    };
  }
  if (!(await sameBytes(job.source, original))) {
    const reason =
      `${original} no longer holds the same bytes (changed since it was indexed), so ` +
      `${basename(job.source)} was not deleted and stays in the inbox`;
    return {
      ...job,
      plan: { ...plan, action: 'skip', target: null, reason },
      ...staying(job, reason),
    };
  }
  const trashed = trashPath(trashDir, mover.batch(), job.source);
  const reason = `same bytes as ${original}; moved to the trash (duplicates: delete), undo brings it back`;
  const group = newGroupId();
  const placed = dryRun
    ? await nextFreeName(trashed)
    : (
        await journaled(mover, job, plan, {
          op: 'delete',
          target: trashed,
          group,
          onExists: 'suffix',
        })
      )?.target;
  const deleted = { ...job, plan: { ...plan, target: placed ?? trashed, reason } };
  return {
    ...deleted,
    ...(await companions(mover, onlyHeld(mover, deleted), placed ?? trashed, group, 'delete')),
  };
}

/**
 * A deleted duplicate's companions go to the trash with it only when the library holds
 * their content too; a RAW or an edited sidecar the library lacks stays in the inbox.
 */
function onlyHeld(mover: Mover, job: FileJob): FileJob {
  if (!job.companions) return job;
  const companions = job.companions.map((member): FileJob => {
    if (!member.plan || member.plan.action === 'skip') return member;
    if (member.hash && mover.index.find(member.hash)) return member;
    const reason = `stays in the inbox: the library does not hold its content, though it held ${basename(job.source)}'s`;
    return { ...member, plan: { ...member.plan, action: 'skip', target: null, reason } };
  });
  return { ...job, companions };
}

/** Where and how {@link journaled} moves a job. */
interface Placement {
  op: OperationKind;
  target: string;
  group: string;
  /** Defaults to the stage's collision policy. */
  onExists?: 'suffix' | 'fail';
}

/**
 * Moves a job through the journaled-move primitive. Returns where it went, or `undefined`
 * when the target was taken in the meantime and the collision policy is skip.
 */
async function journaled(
  mover: Mover,
  job: FileJob,
  plan: Plan,
  { op, target, group, onExists = mover.onExists }: Placement,
): Promise<MoveDone | undefined> {
  await checkBeforeMove(mover, job, target);
  try {
    const moved = await moveFile(mover.journal, {
      batch: mover.batch(),
      op,
      from: job.source,
      to: target,
      // Unread (see content-hash.ts): moveFile links it by its stamp, or reads it.
      hash: job.hash ?? null,
      stamp: job.stamp,
      size: job.size,
      action: plan.action,
      rule: plan.rule,
      group,
      details: details(job, plan),
      onExists,
      beforeMove: mover.writers && (() => assertNotBeingWritten(mover.writers!, job.source, job)),
    });
    return moved;
  } catch (error) {
    if (errorCode(error) === 'TARGET_EXISTS' && onExists === 'fail') return undefined;
    throw error;
  }
}

/**
 * Adds a filed file to the library index, after checking it is still what was hashed: a
 * rename or link moves the inode a writer may still have open (through a descriptor the
 * open-writer check cannot see as writing), so a size or mtime other than identify's means
 * bytes were added meanwhile, and the file is hashed again and its journal row amended. A
 * copy was verified against the hash, and its mtime is only as fine as the target's
 * filesystem keeps it, so only its size is compared.
 */
async function indexPlaced(mover: Mover, job: FileJob, moved: MoveDone): Promise<void> {
  const info = await stat(moved.target);
  const sameTime = moved.strategy === 'copy' || info.mtimeMs === job.mtimeMs;
  if (info.size === job.size && sameTime) {
    mover.index.add(moved.target, moved.hash, info.size, info.mtimeMs, job.sample ?? null);
    return;
  }
  const reason = `changed while it was being filed (${job.size} → ${info.size} bytes)`;
  const recorded = await recordFiledContent(mover.journal, mover.index, moved.target, reason);
  // Still changing: the daemon watches a filed file and records it once it has settled.
  if (!recorded) mover.index.add(moved.target, moved.hash, info.size, info.mtimeMs);
}

/**
 * What must hold right before a file is moved: its source, links resolved, is still inside
 * the folder it was found in, and a target in the library finds the library where it was.
 */
async function checkBeforeMove(mover: Mover, job: FileJob, target: string): Promise<void> {
  const { index, checkLibrary } = mover;
  await assertInsideRoot(job.source, job.root);
  if (!isInside(index.library, target)) return;
  if (checkLibrary) return checkLibrary();
  const found = await examineFolder(index.library);
  if ('problem' in found) throw libraryUnavailable(index.library, found.problem);
}

function collided(job: FileJob, plan: Plan, target: string): FileJob {
  const reason = `a different file is already at ${target}; left where it is (onCollision: skip)`;
  return {
    ...job,
    plan: { ...plan, action: 'skip', target: null, reason },
    ...staying(job, reason),
  };
}

/** The companions of a job left in the inbox, which stay beside it. */
function staying(job: FileJob, why: string): Pick<FileJob, 'companions'> {
  if (!job.companions) return {};
  const reason = `stays beside ${basename(job.source)}: ${why}`;
  return {
    companions: job.companions.map((member) => ({
      ...member,
      plan: { action: 'skip', rule: null, target: null, reason },
    })),
  };
}

/** A journal group id: the moves of one photo, its sidecars, RAW and Live Photo video. */
function newGroupId(): string {
  return randomBytes(6).toString('hex');
}

function failed(job: FileJob, plan: Plan, error: unknown): FileJob {
  const message = errorMessage(error);
  return {
    ...job,
    plan: { ...plan, action: 'error', target: null, reason: message },
    error: { code: errorCode(error), message, stage: 'move' },
    ...staying(job, message),
  };
}

function requireTarget(job: FileJob, plan: Plan): string {
  if (plan.target) return plan.target;
  throw new PhotosortdError(
    'NO_TARGET',
    `No target path was planned for ${job.source} (action ${plan.action}); it stays in the inbox.`,
  );
}

function details(job: FileJob, plan: Plan): Record<string, unknown> {
  const takenAt = job.meta?.takenAt ?? null;
  return {
    takenAt: takenAt ? formatCaptureDate(takenAt) : null,
    dateSource: takenAt?.source ?? null,
    place: job.place ?? null,
    tags: job.tags ?? null,
    ...(job.meta?.contentId ? { contentId: job.meta.contentId } : {}),
    ...(plan.duplicateOf ? { duplicateOf: plan.duplicateOf } : {}),
    ...(plan.reason ? { reason: plan.reason } : {}),
    // Undo checks the folders below it for links before writing the file back.
    root: job.root,
  };
}

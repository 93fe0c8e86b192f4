import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Journal } from '../journal/journal.js';
import type { LibraryIndex } from '../journal/library-index.js';
import type { OperationKind } from '../journal/types.js';
import { formatCaptureDate } from '../lib/capture-date.js';
import { errorCode, errorMessage, PhotosortdError } from '../lib/errors.js';
import { sameBytes } from '../lib/hash.js';
import { nextFreeName, removeEmptyFolders, safeMove } from '../lib/safe-move.js';
import { isInside } from '../lib/sanitize.js';
import {
  assertInsideRoot,
  examineFolder,
  identityOf,
  libraryUnavailable,
  sameIdentity,
} from '../lib/real-path.js';
import { freeGroupTarget, memberTarget, movingCompanions } from './companions.js';
import type { FileJob, Plan, Stage } from './job.js';
import { exists } from '../lib/exists.js';

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
}

/**
 * Carries out the planner's decision with a journaled, verified, no-clobber move.
 * On failure the file is still in the inbox, its journal row is `failed`, and the job comes
 * back with `plan.action = 'error'` and an error for the `move` stage.
 */
export function createMoveStage(options: MoveStageOptions): Stage {
  const { journal, index, onCollision, duplicates, trashDir, dryRun } = options;
  const onExists = onCollision === 'suffix' ? 'suffix' : 'fail';

  return async (input) => {
    // A member the planner split from the group is filed on its own, whatever becomes of it.
    const own = (input.companions ?? []).filter((member) => member.detached);
    if (own.length === 0) return act(input);
    const companions = input.companions?.filter((member) => !own.includes(member));
    const job = await act({ ...input, companions });
    const filed: FileJob[] = [];
    for (const member of own) filed.push(await act(member));
    return { ...job, companions: [...(job.companions ?? []), ...filed] };
  };

  async function act(job: FileJob): Promise<FileJob> {
    const plan = job.plan;
    if (!plan) return job;
    try {
      if (plan.action === 'move' || plan.action === 'unsorted') return await file(job, plan);
      if (plan.action === 'duplicate') return await duplicate(job, plan);
      return job;
    } catch (error) {
      return failed(job, plan, error);
    }
  }

  async function file(job: FileJob, plan: Plan): Promise<FileJob> {
    const planned = requireTarget(job, plan);
    // A group takes the first name free for every member, so its members keep one name.
    const grouped = movingCompanions(job).length > 0;
    const target = grouped ? await freeGroupTarget(job, planned) : planned;
    if (onCollision === 'skip' && (grouped ? target !== planned : await exists(target))) {
      return collided(job, plan, planned);
    }
    if (dryRun) {
      const free = grouped ? target : await nextFreeName(target);
      return { ...job, plan: { ...plan, target: free }, ...(await companions(job, free, '')) };
    }
    const group = job.group ?? newGroupId();
    const placed = await journaled(job, plan, 'move', target, onExists, group);
    if (!placed) return collided(job, plan, target);
    const info = await stat(placed);
    index.add(placed, requireHash(job), info.size, info.mtimeMs);
    return {
      ...job,
      group,
      plan: { ...plan, target: placed },
      ...(await companions(job, placed, group)),
    };
  }

  /**
   * Moves the companions of a job whose primary went to `primaryTarget`, each under its own
   * name beside it, in the primary's journal group. A member that fails stays in the inbox
   * with its error; the others still go.
   */
  async function companions(
    job: FileJob,
    primaryTarget: string,
    group: string,
    op: OperationKind = 'move',
  ): Promise<Pick<FileJob, 'companions'>> {
    if (!job.companions) return {};
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
        const placed = (await journaled(member, plan, op, target, 'suffix', group)) ?? target;
        if (op === 'move') {
          const info = await stat(placed);
          index.add(placed, requireHash(member), info.size, info.mtimeMs);
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

  async function duplicate(job: FileJob, plan: Plan): Promise<FileJob> {
    const original = plan.duplicateOf;
    if (duplicates === 'skip' || !original) {
      const reason = `same content as ${original ?? 'a library file'}; left where it is (duplicates: skip)`;
      return { ...job, plan: { ...plan, target: null, reason }, ...staying(job, reason) };
    }
    if (duplicates === 'delete') {
      const trashed = join(trashDir, options.batch(), basename(job.source));
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
      const reason = `same bytes as ${original}; moved to the trash (duplicates: delete), undo brings it back`;
      const target = dryRun ? await nextFreeName(trashed) : trashed;
      const group = newGroupId();
      const placed = dryRun
        ? target
        : await journaled(job, plan, 'delete', trashed, 'suffix', group);
      const deleted = { ...job, plan: { ...plan, target: placed ?? trashed, reason } };
      return {
        ...deleted,
        ...(await companions(onlyHeld(deleted), placed ?? trashed, group, 'delete')),
      };
    }
    return file(job, plan);
  }

  /**
   * A deleted duplicate's companions go to the trash with it only when the library holds
   * their content too; a RAW or an edited sidecar the library lacks stays in the inbox.
   */
  function onlyHeld(job: FileJob): FileJob {
    if (!job.companions) return job;
    const companions = job.companions.map((member): FileJob => {
      if (!member.plan || member.plan.action === 'skip') return member;
      if (member.hash && index.find(member.hash)) return member;
      const reason = `stays in the inbox: the library does not hold its content, though it held ${basename(job.source)}'s`;
      return { ...member, plan: { ...member.plan, action: 'skip', target: null, reason } };
    });
    return { ...job, companions };
  }

  /**
   * Writes the `planned` row, moves, and closes the row. Returns the final path, or
   * `undefined` when the target was taken in the meantime and the collision policy is skip.
   */
  async function journaled(
    job: FileJob,
    plan: Plan,
    op: OperationKind,
    target: string,
    whenTaken: 'suffix' | 'fail' = onExists,
    group: string | null = null,
  ): Promise<string | undefined> {
    const hash = requireHash(job);
    await checkBeforeMove(job, target);
    const id = await journal.beginDurably({
      batch: options.batch(),
      op,
      source: job.source,
      target,
      hash,
      size: job.size,
      action: plan.action,
      rule: plan.rule,
      group,
      details: details(job, plan),
    });
    try {
      const moved = await safeMove(job.source, target, { expectedHash: hash, onExists: whenTaken });
      journal.finish(id, moved.target === target ? undefined : moved.target);
      return moved.target;
    } catch (error) {
      journal.fail(id, errorMessage(error));
      if (errorCode(error) === 'TARGET_EXISTS' && whenTaken === 'fail') return undefined;
      throw error;
    }
  }

  /**
   * What must hold right before a file is moved: its source, links resolved, is still inside
   * the folder it was found in, and a target in the library finds the library where it was.
   */
  async function checkBeforeMove(job: FileJob, target: string): Promise<void> {
    await assertInsideRoot(job.source, job.root);
    if (!isInside(index.library, target)) return;
    if (options.checkLibrary) return options.checkLibrary();
    const found = await examineFolder(index.library);
    if ('problem' in found) throw libraryUnavailable(index.library, found.problem);
  }
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

function requireHash(job: FileJob): string {
  if (job.hash) return job.hash;
  throw new PhotosortdError(
    'NOT_HASHED',
    `${job.source} has no content hash (it could not be read), so a move could not be ` +
      'verified; it stays in the inbox. Check that photosortd may read it.',
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
    // Undo checks the folders below it for links before writing the file back.
    root: job.root,
  };
}

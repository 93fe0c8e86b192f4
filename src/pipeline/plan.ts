import { basename } from 'node:path';
import { isNonMediaName, isSidecarName } from '../lib/sidecars.js';
import { hashedIfSizeHeld, withHash, type ContentLookup } from './content-hash.js';
import type { FiledFile } from './groups/followers.js';
import { planCompanions } from './groups/members.js';
import { createNameReservations, memberTarget, movingCompanions } from './groups/targets.js';
import type { FileJob, Plan, Stage } from './job.js';
import { matchRule, type CompiledRule } from './rules.js';
import { resolveTarget, type CompiledTemplate } from './template.js';

/** What to do with a file that is not a photo or video: leave it, or send it to a template. */
export type NonMediaPolicy = 'leave' | CompiledTemplate;

/** What to do with a file whose content the library already holds. */
export type DuplicatePolicy = 'skip' | 'delete' | CompiledTemplate;

/** Options of {@link createPlanStage}. */
export interface PlanOptions {
  library: string;
  rules: CompiledRule[];
  unsorted: CompiledTemplate;
  duplicates: DuplicatePolicy;
  /** Files that are not media (PDF, zip, `Thumbs.db`); left in the inbox unless a template. */
  nonMedia?: NonMediaPolicy;
  index: ContentLookup;
  /** Where a sidecar goes whose file was filed earlier (see groups/followers.ts). */
  filedFile?: (job: FileJob) => FiledFile | undefined;
  /** Adds to a file being filed the companions filed before it (see live-photo.ts). */
  adopt?: (job: FileJob) => Promise<FileJob>;
  /**
   * A dry run: plans as the real run files, by handing out each target name and content
   * once (a second different `IMG_4.JPG` is numbered, a second identical one a duplicate).
   */
  dryRun?: boolean;
}

/**
 * Errors from earlier stages that mean "leave the file where it is". An empty file is often
 * one still being written; it is taken again once it has content.
 */
const LEAVE_IN_PLACE = new Set([
  'NOT_A_FILE',
  'NOT_FOUND',
  'RESTORED_BY_UNDO',
  'EMPTY_FILE',
  'LEFT_BEFORE',
]);

/**
 * Decides where a file goes. Rules see the record the earlier stages built; the
 * planner only chooses, the mover acts (so `scan --dry-run` can print the plan).
 */
export function createPlanStage(options: PlanOptions): Stage {
  const { library, rules, unsorted, duplicates, index } = options;
  const names = options.dryRun ? createNameReservations() : undefined;
  /** Content the dry run has planned to file, by hash: where it would be. */
  const planned = new Map<string, string>();

  const toUnsorted = (job: FileJob, reason: string): Plan => ({
    action: 'unsorted',
    rule: null,
    target: resolveTarget(library, unsorted, job),
    reason,
  });

  /**
   * The job and its companions, each read when its content could match: a library file of
   * its size, or for a dry run always (it hands out content as filing would, by hash).
   */
  async function readIfNeeded(job: FileJob): Promise<FileJob> {
    const read = (one: FileJob) =>
      options.dryRun && !one.error ? withHash(one) : hashedIfSizeHeld(index, one);
    const hashed = await read(job);
    if (!hashed.companions) return hashed;
    const companions: FileJob[] = [];
    for (const member of hashed.companions) companions.push(await read(member));
    return { ...hashed, companions };
  }

  return async (unread) => {
    const input = await readIfNeeded(unread);
    const filed = input.error ? undefined : options.filedFile?.(input);
    const plan = filed?.plan ?? decide(input);
    const job = plan.action === 'move' && options.adopt ? await options.adopt(input) : input;
    const companions = planCompanions(job, plan, decide);
    const result: FileJob = {
      ...job,
      plan,
      ...(companions ? { companions } : {}),
      ...(filed?.group ? { group: filed.group } : {}),
    };
    return names ? reserve(result) : result;
  };

  /** For a dry run: takes the planned target's name and the content, as filing would. */
  async function reserve(job: FileJob): Promise<FileJob> {
    const plan = job.plan!;
    if ((plan.action !== 'move' && plan.action !== 'unsorted') || !plan.target) return job;
    const target = await names!.reserve(job, plan.target);
    if (job.hash) planned.set(job.hash, target);
    for (const member of movingCompanions(job)) {
      if (member.hash) planned.set(member.hash, memberTarget(job, member, target));
    }
    const wanted = target === plan.target ? {} : { wanted: plan.target };
    return { ...job, plan: { ...plan, target, ...wanted } };
  }

  function nonMedia(job: FileJob): Plan {
    const what = `${basename(job.source)} is not a photo or video`;
    const policy = options.nonMedia ?? 'leave';
    if (policy === 'leave') {
      const reason = `${what}; left where it is (nonMedia: leave)`;
      return { action: 'skip', rule: null, target: null, reason };
    }
    const target = resolveTarget(library, policy, job);
    return { action: 'unsorted', rule: null, target, reason: `${what} (nonMedia)` };
  }

  function decide(job: FileJob): Plan {
    if (job.error && LEAVE_IN_PLACE.has(job.error.code)) {
      return { action: 'skip', rule: null, target: null, reason: job.error.message };
    }
    if (isNonMedia(job)) return nonMedia(job);
    if (job.error) return toUnsorted(job, job.error.message);

    const { original: indexed, itself } = job.hash ? index.lookup(job.hash, job.source) : {};
    const original = indexed ?? (job.hash ? planned.get(job.hash) : undefined);
    if (itself) {
      const reason =
        `${job.source} is the library's own ${itself} (same device and inode, reached through ` +
        'a link or mount); left where it is, neither filed again nor treated as a duplicate';
      return { action: 'skip', rule: null, target: null, reason };
    }
    if (original) {
      return {
        action: 'duplicate',
        rule: null,
        target: typeof duplicates === 'string' ? null : resolveTarget(library, duplicates, job),
        duplicateOf: original,
        reason: `same content as ${original}`,
      };
    }
    if (isSidecarName(basename(job.source))) {
      return toUnsorted(job, `${basename(job.source)} is a sidecar whose file never arrived`);
    }
    if (job.kind !== 'photo' && job.kind !== 'video') {
      return toUnsorted(job, `${basename(job.source)} is not a photo or video exiftool knows`);
    }
    if (!job.meta?.takenAt) {
      return toUnsorted(job, 'no usable capture date in the file, its name or (if allowed) mtime');
    }
    const rule = matchRule(rules, job);
    if (!rule) return toUnsorted(job, 'no rule matched');
    return { action: 'move', rule: rule.name, target: resolveTarget(library, rule.template, job) };
  }
}

/**
 * Neither its name (a media or sidecar extension) nor its content (exiftool's type) says it
 * is a photo or video. A corrupt `.jpg` is media by name and goes to `unsorted`.
 */
function isNonMedia(job: FileJob): boolean {
  return job.kind !== 'photo' && job.kind !== 'video' && isNonMediaName(basename(job.source));
}

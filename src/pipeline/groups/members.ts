import { basename } from 'node:path';
import { errorCode, errorMessage } from '../../lib/errors.js';
import type { FileJob, Plan, Stage } from '../job.js';
import { sameMoment } from '../live-photo.js';
import type { NamedStage } from '../pipeline.js';
import { withGroupDate } from './group-date.js';

/**
 * Runs the given stages (identify, exif) on each companion of a job, so that every member
 * has its own hash to verify its move with. A member that fails stays where it is. The
 * group then takes the best date any member has ({@link withGroupDate}).
 */
export function createCompanionsStage(stages: NamedStage[]): Stage {
  return async (job) => {
    if (!job.companions) return job;
    const companions = await Promise.all(
      job.companions.map(async (member) => {
        let current = member;
        for (const stage of stages) {
          try {
            current = await stage.run(current);
          } catch (error) {
            const message = errorMessage(error);
            return { ...current, error: { code: errorCode(error), message, stage: stage.name } };
          }
        }
        return current;
      }),
    );
    return withGroupDate({ ...job, companions });
  };
}

/**
 * The companions' plans, from the primary's: the same action and rule, and the primary's
 * date and place (a Live Photo's video carries a UTC date that may fall on another day).
 * The mover names their targets once the primary's own name is final. A member whose
 * earlier stages failed is left where it is. A video with a photo's name that is not its
 * Live Photo half ({@link sameMoment}) is planned by `onItsOwn` and marked `detached`: the
 * mover files it as a file of its own.
 */
export function planCompanions(
  job: FileJob,
  plan: Plan,
  onItsOwn: (member: FileJob) => Plan,
): FileJob[] | undefined {
  return job.companions?.map((member) => {
    if (member.error && member.error.stage !== 'exif') {
      const reason = member.error.message;
      return { ...member, plan: { action: 'skip', rule: null, target: null, reason } };
    }
    if (member.kind === 'video' && job.kind === 'photo' && !sameMoment(job, member)) {
      const own = onItsOwn(member);
      const reason = `has the name of ${basename(job.source)} but was taken at another moment`;
      return { ...member, detached: true, plan: { ...own, reason: own.reason ?? reason } };
    }
    const meta = member.meta && job.meta ? { ...member.meta, takenAt: job.meta.takenAt } : job.meta;
    const reason = `goes with ${basename(job.source)}`;
    return {
      ...member,
      meta,
      place: job.place ?? null,
      plan: { action: plan.action, rule: plan.rule, target: null, reason },
    };
  });
}

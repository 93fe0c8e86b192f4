import { formatCaptureDate } from '../lib/capture-date.js';
import type { Action, Place, Tag } from '../lib/media.js';
import type { FileJob } from './job.js';

/** One file handled by the pipeline: published on `GET /events` and counted in metrics. */
export interface FileEvent {
  type: 'file';
  at: string;
  source: string;
  target: string | null;
  action: Action;
  rule: string | null;
  takenAt: string | null;
  dateSource: string | null;
  place: Place | null;
  tags: Tag[] | null;
  error: string | null;
  /** Why the file was not simply filed (unsorted, duplicate, skipped), when it was not. */
  reason?: string;
  /** Milliseconds spent in each stage (identify, exif, geocode, tag, plan, move). */
  durations: Record<string, number>;
}

/** The event published for a handled file (and the line `scan --json` prints). */
export function toEvent(job: FileJob, durations: Record<string, number> = {}): FileEvent {
  const plan = job.plan ?? { action: 'error' as const, rule: null, target: null };
  const takenAt = job.meta?.takenAt ?? null;
  return {
    type: 'file',
    at: new Date().toISOString(),
    source: job.source,
    target: plan.target,
    action: plan.action,
    rule: plan.rule,
    takenAt: takenAt ? formatCaptureDate(takenAt) : null,
    dateSource: takenAt?.source ?? null,
    place: job.place ?? null,
    tags: job.tags ?? null,
    error: plan.action === 'error' ? (job.error?.message ?? plan.reason ?? 'failed') : null,
    ...(plan.reason && plan.action !== 'error' ? { reason: plan.reason } : {}),
    durations,
  };
}

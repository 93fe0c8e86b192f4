import type { FileEvent } from '../pipeline/file-event.js';

/**
 * Upper bounds (seconds) of the stage-duration histogram. Stages range from sub-millisecond
 * (plan) through tens of milliseconds (exif, move) to seconds (tagging on a slow CPU, a move
 * across filesystems), so the buckets span that range roughly logarithmically.
 */
const STAGE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * The daemon's Prometheus metrics, kept in memory and rendered in the text exposition format
 * by hand: a handful of counters, gauges and one histogram do not justify a metrics library.
 */
export class Metrics {
  private readonly files = new Map<string, number>();
  private failures = 0;
  private queueWaiting = 0;
  private queueActive = 0;
  private readonly stages = new Map<string, Histogram>();
  private readonly startedAt: number;
  private readonly now: () => number;

  /** `now` lets a test control the clock behind the uptime gauge. */
  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Counts one handled file by its action and adds its stage durations (milliseconds). */
  recordFile(event: FileEvent): void {
    this.files.set(event.action, (this.files.get(event.action) ?? 0) + 1);
    if (event.action === 'error') this.failures += 1;
    for (const [stage, ms] of Object.entries(event.durations)) {
      if (!Number.isFinite(ms) || ms < 0) continue;
      this.observeStage(stage, ms / 1000);
    }
  }

  /** Sets the queue gauges: files waiting for a slot and files in flight. */
  setQueue(waiting: number, active: number): void {
    this.queueWaiting = waiting;
    this.queueActive = active;
  }

  /** The metrics in Prometheus text format (version 0.0.4). */
  render(): string {
    const lines: string[] = [];
    lines.push(
      '# HELP photosortd_files_total Files handled, by the action taken.',
      '# TYPE photosortd_files_total counter',
    );
    for (const [action, count] of [...this.files].sort(byKey)) {
      lines.push(`photosortd_files_total{action="${escapeLabel(action)}"} ${count}`);
    }
    lines.push(
      '# HELP photosortd_failures_total Files whose handling ended in an error.',
      '# TYPE photosortd_failures_total counter',
      `photosortd_failures_total ${this.failures}`,
      '# HELP photosortd_queue_waiting Files waiting for a pipeline slot.',
      '# TYPE photosortd_queue_waiting gauge',
      `photosortd_queue_waiting ${this.queueWaiting}`,
      '# HELP photosortd_queue_active Files in flight in the pipeline.',
      '# TYPE photosortd_queue_active gauge',
      `photosortd_queue_active ${this.queueActive}`,
      '# HELP photosortd_stage_duration_seconds Time spent in each pipeline stage per file.',
      '# TYPE photosortd_stage_duration_seconds histogram',
    );
    for (const [stage, histogram] of [...this.stages].sort(byKey)) {
      const label = `stage="${escapeLabel(stage)}"`;
      let cumulative = 0;
      STAGE_BUCKETS.forEach((bound, index) => {
        cumulative += histogram.counts[index] ?? 0;
        lines.push(
          `photosortd_stage_duration_seconds_bucket{${label},le="${bound}"} ${cumulative}`,
        );
      });
      lines.push(
        `photosortd_stage_duration_seconds_bucket{${label},le="+Inf"} ${histogram.count}`,
        `photosortd_stage_duration_seconds_sum{${label}} ${histogram.sum}`,
        `photosortd_stage_duration_seconds_count{${label}} ${histogram.count}`,
      );
    }
    lines.push(
      '# HELP photosortd_uptime_seconds Seconds since the daemon started.',
      '# TYPE photosortd_uptime_seconds gauge',
      `photosortd_uptime_seconds ${(this.now() - this.startedAt) / 1000}`,
    );
    return `${lines.join('\n')}\n`;
  }

  private observeStage(stage: string, seconds: number): void {
    let histogram = this.stages.get(stage);
    if (!histogram) {
      histogram = { counts: STAGE_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.stages.set(stage, histogram);
    }
    // Counts are stored per bucket (not cumulative) so one observation touches one slot.
    const index = STAGE_BUCKETS.findIndex((bound) => seconds <= bound);
    if (index >= 0) histogram.counts[index] = (histogram.counts[index] ?? 0) + 1;
    histogram.sum += seconds;
    histogram.count += 1;
  }
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Label values are escaped as the exposition format requires: backslash, quote, newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

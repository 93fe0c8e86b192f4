import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DaemonStatus } from '../daemon/control.js';
import type { FileEvent } from '../pipeline/file-event.js';

/**
 * Upper bounds (seconds) of the stage-duration histogram. Stages range from sub-millisecond
 * (plan) through tens of milliseconds (exif, move) to seconds (tagging on a slow CPU, a move
 * across filesystems), so the buckets span that range roughly logarithmically.
 */
const STAGE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** prom-client default metrics whose names break Prometheus's naming rules. */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** The clock behind the uptime gauge, for tests. */
  now?: () => number;
  /**
   * Also export prom-client's process and Node figures (memory, CPU, open file descriptors,
   * event-loop lag, GC): what an operator of a long-running daemon looks at first.
   */
  processMetrics?: boolean;
}

/**
 * The daemon's Prometheus metrics in their own registry (so tests and two daemons in one
 * process never share counters). File counters and stage timings are fed from file events;
 * gauges that describe the daemon's state (queue, inbox and library presence, journal size,
 * last filing) are read from its status at each scrape, so they cannot go stale.
 */
export class Metrics {
  /** The registry {@link render} writes out. */
  readonly registry = new Registry();
  private readonly files: Counter<'action'>;
  private readonly failures: Counter;
  private readonly stages: Histogram<'stage'>;
  private readonly gauges: ReturnType<typeof stateGauges>;
  private readonly uptime: Gauge;
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(options: MetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    const registers = [this.registry];
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters, which `promtool check metrics` rejects; the per-type
      // gauges prom-client also exports (`nodejs_active_handles{type}`, …) add up to them.
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    this.files = new Counter({
      name: 'photosortd_files_total',
      help: 'Files handled, by the action taken.',
      labelNames: ['action'],
      registers,
    });
    this.failures = new Counter({
      name: 'photosortd_failures_total',
      help: 'Files whose handling ended in an error.',
      registers,
    });
    this.stages = new Histogram({
      name: 'photosortd_stage_duration_seconds',
      help: 'Time spent in each pipeline stage per file.',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.gauges = stateGauges(this.registry);
    this.uptime = new Gauge({
      name: 'photosortd_uptime_seconds',
      help: 'Seconds since the daemon started.',
      registers,
    });
  }

  /** Counts one handled file by its action and adds its stage durations (milliseconds). */
  recordFile(event: FileEvent): void {
    this.files.inc({ action: event.action });
    if (event.action === 'error') this.failures.inc();
    for (const [stage, ms] of Object.entries(event.durations)) {
      if (!Number.isFinite(ms) || ms < 0) continue;
      this.stages.observe({ stage }, ms / 1000);
    }
  }

  /** The Content-Type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in Prometheus text format, with the state gauges taken from `status`. */
  async render(status: DaemonStatus): Promise<string> {
    this.uptime.set((this.now() - this.startedAt) / 1000);
    setStateGauges(this.gauges, status);
    return this.registry.metrics();
  }
}

/** The gauges that mirror the daemon's status; what alerts are written against. */
function stateGauges(registry: Registry) {
  const registers = [registry];
  return {
    queueWaiting: new Gauge({
      name: 'photosortd_queue_waiting',
      help: 'Files waiting for a pipeline slot (held while paused or gathering companions included).',
      registers,
    }),
    queueActive: new Gauge({
      name: 'photosortd_queue_active',
      help: 'Files in flight in the pipeline.',
      registers,
    }),
    paused: new Gauge({
      name: 'photosortd_paused',
      help: '1 while filing is paused (by pause, or while the library is missing), else 0.',
      registers,
    }),
    libraryUp: new Gauge({
      name: 'photosortd_library_up',
      help: '1 while files are filed into the library; 0 while it is missing or unmounted.',
      registers,
    }),
    inboxUp: new Gauge({
      name: 'photosortd_inbox_up',
      help: '1 for an inbox being watched, 0 for one missing or unreadable.',
      labelNames: ['inbox'],
      registers,
    }),
    waiting: new Gauge({
      name: 'photosortd_inbox_waiting',
      help:
        'Files waiting in an inbox, by reason: queued, paused, library-missing, being-written, ' +
        'put-back-by-undo, left-by-rules.',
      labelNames: ['reason'],
      registers,
    }),
    journalOperations: new Gauge({
      name: 'photosortd_journal_operations',
      help: 'File operations recorded in the journal.',
      registers,
    }),
    journalBytes: new Gauge({
      name: 'photosortd_journal_bytes',
      help: 'Bytes the journal takes on disk (database and write-ahead log).',
      registers,
    }),
    lastFiled: new Gauge({
      name: 'photosortd_last_filed_timestamp_seconds',
      help: 'Unix time a file was last filed into the library (0: never).',
      registers,
    }),
  };
}

function setStateGauges(gauges: ReturnType<typeof stateGauges>, status: DaemonStatus): void {
  gauges.queueWaiting.set(status.queue.waiting);
  gauges.queueActive.set(status.queue.active);
  gauges.paused.set(status.state === 'paused' ? 1 : 0);
  gauges.libraryUp.set(status.libraryState.present ? 1 : 0);
  // An inbox removed by a reload must not keep reporting its last value.
  gauges.inboxUp.reset();
  for (const inbox of status.inboxes)
    gauges.inboxUp.set({ inbox: inbox.path }, inbox.watching ? 1 : 0);
  for (const [reason, count] of Object.entries(status.waiting)) {
    gauges.waiting.set({ reason }, count);
  }
  gauges.journalOperations.set(status.journal.operations);
  gauges.journalBytes.set(status.journal.bytes);
  gauges.lastFiled.set(status.lastFiledAt ? Date.parse(status.lastFiledAt) / 1000 : 0);
}

import type { ControlEvent, DaemonControl, DaemonStatus } from '../../src/daemon/control.js';
import type { FileEvent } from '../../src/pipeline/file-event.js';
import type { JournalEntry, UndoResult, UndoSelector } from '../../src/journal/types.js';

/** One call the API made on the control, with its arguments. */
export type RecordedCall =
  | { method: 'pause' | 'resume' | 'status' }
  | { method: 'journal'; limit: number }
  | { method: 'undo'; selector: UndoSelector; options: { force?: boolean; dryRun?: boolean } };

/**
 * An in-memory {@link DaemonControl} for the API's tests: it records every call, keeps a
 * running/paused state and a journal, and emits events the way the daemon does. The daemon
 * itself is built elsewhere; this stands in for it only so the API can be driven over real
 * HTTP. Tests that need real files moving use the daemon.
 */
export class RecordingDaemonControl implements DaemonControl {
  readonly calls: RecordedCall[] = [];
  state: 'running' | 'paused' = 'running';
  queue = { waiting: 0, active: 0 };
  processed = 0;
  failed = 0;
  handled = { move: 0, unsorted: 0, duplicate: 0, skip: 0, error: 0 };
  entries: JournalEntry[] = [];
  /** What the next `undo` returns (its batch is filled in). */
  undoResult: Omit<UndoResult, 'batch' | 'dryRun'> = { undone: [], refused: [] };
  /** When set, `undo` throws this instead. */
  undoError: Error | null = null;
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private batches = 0;

  /** Listeners currently subscribed (open event streams, the metrics recorder). */
  get subscribers(): number {
    return this.listeners.size;
  }

  status(): DaemonStatus {
    this.calls.push({ method: 'status' });
    return {
      state: this.state,
      queue: { ...this.queue },
      processed: this.processed,
      failed: this.failed,
      handled: { ...this.handled },
      startedAt: '2024-06-12T18:30:00.000Z',
      version: '0.1.0-test',
      inboxes: [{ path: '/srv/inbox', watching: true }],
      library: '/srv/library',
      holding: { count: 0, files: [] },
      libraryState: { present: true },
      tagging: { enabled: false, reason: 'tagging.enabled is false' },
      geocode: { enabled: true, provider: 'geonames' },
      journal: { operations: 12, bytes: 65_536 },
      lastFiledAt: '2024-06-12T18:31:00.000Z',
      waiting: {
        queued: this.queue.waiting,
        paused: 0,
        'library-missing': 0,
        'being-written': 0,
        'put-back-by-undo': 0,
        'left-by-rules': 0,
      },
    };
  }

  pause(): void {
    this.calls.push({ method: 'pause' });
    this.state = 'paused';
    this.emit({ type: 'paused', at: new Date().toISOString() });
  }

  resume(): void {
    this.calls.push({ method: 'resume' });
    this.state = 'running';
    this.emit({ type: 'resumed', at: new Date().toISOString() });
  }

  async undo(
    selector: UndoSelector,
    options: { force?: boolean; dryRun?: boolean } = {},
  ): Promise<UndoResult> {
    this.calls.push({ method: 'undo', selector, options });
    if (this.undoError) throw this.undoError;
    this.batches += 1;
    // As the daemon does: a dry run journals nothing and is no event.
    if (options.dryRun === true) return { batch: null, dryRun: true, ...this.undoResult };
    const result = { batch: `undo-${this.batches}`, dryRun: false, ...this.undoResult };
    this.emit({
      type: 'undo',
      at: new Date().toISOString(),
      batch: result.batch,
      undone: result.undone.length,
      refused: result.refused.length,
    });
    return result;
  }

  journal(limit: number): JournalEntry[] {
    this.calls.push({ method: 'journal', limit });
    return this.entries.slice(0, limit);
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Publishes an event to every subscriber, as the daemon does when a file is handled. */
  emit(event: ControlEvent): void {
    if (event.type === 'file') {
      this.processed += 1;
      this.handled[event.action] += 1;
      if (event.action === 'error') this.failed += 1;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Calls other than `status` (which every route may read): what the API changed. */
  changes(): RecordedCall[] {
    return this.calls.filter((call) => call.method !== 'status');
  }
}

/** A file event as the pipeline would publish it, with `overrides` applied. */
export function fileEvent(overrides: Partial<FileEvent> = {}): FileEvent {
  return {
    type: 'file',
    at: '2024-06-12T18:30:01.000Z',
    source: '/srv/inbox/IMG_1.jpg',
    target: '/srv/library/2024/2024-06-12 Lisbon/IMG_1.jpg',
    action: 'move',
    rule: 'default',
    takenAt: '2024-06-12T18:30:00+01:00',
    dateSource: 'ExifIFD:DateTimeOriginal',
    place: { city: 'Lisbon', region: 'Lisbon', country: 'Portugal', countryCode: 'PT' },
    tags: [{ label: 'beach', score: 0.31 }],
    error: null,
    durations: { identify: 2, exif: 12, geocode: 0.4, tag: 0, plan: 0.2, move: 3 },
    ...overrides,
  };
}

/** A journal row for a filed move, with `overrides` applied. */
export function journalEntry(overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id: 1,
    batch: 'batch-1',
    op: 'move',
    status: 'done',
    source: '/srv/inbox/IMG_1.jpg',
    target: '/srv/library/2024/2024-06-12 Lisbon/IMG_1.jpg',
    hash: 'a'.repeat(64),
    size: 1234,
    action: 'move',
    rule: 'default',
    undoes: null,
    group: null,
    createdAt: '2024-06-12T18:30:01.000Z',
    finishedAt: '2024-06-12T18:30:01.050Z',
    error: null,
    details: { takenAt: '2024-06-12T18:30:00+01:00' },
    ...overrides,
  };
}

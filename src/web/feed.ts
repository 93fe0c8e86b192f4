import type { DaemonControl } from '../daemon/control.js';
import type { FileEvent } from '../pipeline/file-event.js';

/** Files the Now page shows when it opens; later ones arrive over the event stream. */
const FEED_LENGTH = 50;

/**
 * The latest files the daemon handled, newest first, kept from the moment the dashboard is
 * mounted so that a page opened a minute after a drop still shows it.
 */
export class RecentFiles {
  private readonly events: FileEvent[] = [];
  readonly stop: () => void;

  constructor(control: DaemonControl) {
    this.stop = control.subscribe((event) => {
      if (event.type !== 'file') return;
      this.events.unshift(event);
      if (this.events.length > FEED_LENGTH) this.events.pop();
    });
  }

  /** Newest first. */
  list(): readonly FileEvent[] {
    return this.events;
  }
}

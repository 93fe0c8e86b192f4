/**
 * One fsync shared by everyone who asked for it before it began (group commit). A sync
 * makes durable what was written before it started, so a caller that asks while one runs
 * waits for the next; every caller that asked before that next one began shares it. A
 * burst of moves into one folder, or of journal rows, then costs one sync per round trip of
 * the disk rather than one per file.
 */
export class SharedSync {
  /** Requests counted so far, and how many of them a finished sync covers. */
  private asked = 0;
  private synced = 0;
  private running: Promise<void> | undefined;

  /** `sync` makes durable everything written before it is called. */
  constructor(private readonly sync: () => Promise<void>) {}

  /** Resolves once everything written before the call is on disk; rejects as `sync` does. */
  async durable(): Promise<void> {
    const mine = ++this.asked;
    while (this.synced < mine) {
      this.running ??= this.syncOnce();
      await this.running;
    }
  }

  /** Whether no request is waiting or running: the owner may drop it. */
  get idle(): boolean {
    return this.running === undefined && this.synced >= this.asked;
  }

  private async syncOnce(): Promise<void> {
    const upTo = this.asked;
    try {
      await this.sync();
      this.synced = Math.max(this.synced, upTo);
    } finally {
      this.running = undefined;
    }
  }
}

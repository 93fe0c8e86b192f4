import { companionKey } from '../lib/sidecars.js';

/**
 * The files an inbox watcher has seen but not reported yet (still being written, or within
 * their settle period), each with the timer that ends its quiet period. They are counted by
 * group (folder and companion stem, {@link companionKey}), so the gatherer can ask, once
 * per arrival and without a scan of the folder, whether a file's HEIC, MOV, RAW or sidecar
 * is still on its way.
 */
export class SettlingFiles {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #groups = new Map<string, number>();

  /** The timer of a file's quiet period, if it is settling. */
  get(path: string): NodeJS.Timeout | undefined {
    return this.#timers.get(path);
  }

  /** Whether a file is settling. */
  has(path: string): boolean {
    return this.#timers.has(path);
  }

  /** Starts (or restarts, with a new timer) a file's quiet period. */
  set(path: string, timer: NodeJS.Timeout): void {
    if (!this.#timers.has(path)) this.#count(path, 1);
    this.#timers.set(path, timer);
  }

  /** Ends a file's quiet period (it was reported, or is gone); its timer is not cleared. */
  delete(path: string): void {
    if (this.#timers.delete(path)) this.#count(path, -1);
  }

  /** Whether another file of `path`'s group (same folder, same companion stem) is settling. */
  besides(path: string): boolean {
    const others = (this.#groups.get(companionKey(path)) ?? 0) - (this.#timers.has(path) ? 1 : 0);
    return others > 0;
  }

  /** Clears every timer and forgets every file. */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#groups.clear();
  }

  #count(path: string, by: number): void {
    const key = companionKey(path);
    const count = (this.#groups.get(key) ?? 0) + by;
    if (count > 0) this.#groups.set(key, count);
    else this.#groups.delete(key);
  }
}

import type { ChildProcess } from 'node:child_process';

/** The CLI as a user runs it from a clone (needs `dist/`). */
export const BIN: string;

/** A daemon started by {@link startDaemon}. */
export interface RunningDaemon {
  child: ChildProcess;
  /** Resolves once it logs that it watches its inboxes; rejects if it exits first. */
  watching: Promise<void>;
  /** Its exit code or signal. */
  exited: Promise<number | string | null>;
  /** Everything it has logged so far. */
  log(): string;
  /** SIGKILLs the daemon alone; its exiftool processes must end by themselves. */
  crash(): void;
  /** SIGKILLs whatever is left of its process group. */
  killGroup(): void;
}

/** This process's environment with `extra`, and the running Node's folder first on PATH. */
export function withThisNode(extra?: Record<string, string>): NodeJS.ProcessEnv;

/** Starts `photosortd run --config FILE`. */
export function startDaemon(configFile: string, env?: Record<string, string>): RunningDaemon;
/** Memory in MB: the process's RSS now and its peak, and the RSS of it and its descendants. */
export function memoryOf(pid: number): { rss: number; peak: number; treeRss: number };
/** CPU seconds (user + system) used so far by a process and its descendants. */
export function cpuSecondsOf(pid: number): number;
/** The process and every process below it. */
export function tree(pid: number): number[];
/** Whether `pid` is a process that has not exited (zombies have). */
export function isLive(pid: number): boolean;
/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void>;

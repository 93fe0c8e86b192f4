import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

const require = createRequire(import.meta.url);

/** How lines read on a terminal: the local time of day; no pid or host name on each. */
const PRETTY: PinoPretty.PrettyOptions = Object.freeze({
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'pid,hostname',
});

/**
 * The daemon's logger: JSON lines (for the journal / log shippers) unless stderr is a
 * terminal, where lines are made readable with pino-pretty.
 */
export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = options.level ?? process.env.PHOTOSORTD_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stderr.isTTY === true && !options.destination);
  if (pretty) return pino({ level }, prettyStderr());
  return pino(
    { level, base: { name: 'photosortd' } },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * Readable lines on stderr, formatted in this thread and written at once. pino-pretty is
 * loaded with the first line logged, so a command that logs nothing never loads it; pino's
 * `transport` would start a worker thread for it with every command run on a terminal.
 */
function prettyStderr(): DestinationStream {
  const stderr = pino.destination({ dest: 2, sync: true });
  let format: ((line: string) => string) | undefined;
  return {
    write(line: string) {
      format ??= (require('pino-pretty') as typeof PinoPretty).prettyFactory(PRETTY);
      stderr.write(format(line));
    },
  };
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

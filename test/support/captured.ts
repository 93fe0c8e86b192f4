import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A writable that keeps what is written, standing in for stdout/stderr of a CLI command. */
export function capturedStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** A real pino logger whose JSON lines are kept in memory, so a test can read the log. */
export function capturedLogger(level = 'debug'): { logger: Logger; lines: () => string[] } {
  const { stream, text } = capturedStream();
  const logger = createLogger({ level, pretty: false, destination: stream });
  return {
    logger,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== ''),
  };
}

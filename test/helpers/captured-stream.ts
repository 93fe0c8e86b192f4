import { Writable } from 'node:stream';

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

import PQueue from 'p-queue';

/**
 * Most whole files read through (hashed) or copied at once, however many files are in
 * flight (`concurrency`, 256 by default). Each holds a buffer of up to 1 MiB and a stream of
 * reads from one disk, where more streams at once only interleave the same bytes: a card
 * dump's copies to the library, a tagged scan's hashes of its photos. Eight keep libuv's four
 * threads busy with room for the small calls of the files around them.
 */
export const CONTENT_STREAMS = 8;

const streams = new PQueue({ concurrency: CONTENT_STREAMS });

/**
 * Runs `work`, which reads or copies one whole file, once fewer than {@link CONTENT_STREAMS}
 * others run. `work` must not itself wait for a stream (a copy must not hash through
 * `hashFile`), or streams waiting on streams could hold every slot.
 */
export function withContentStream<T>(work: () => Promise<T>): Promise<T> {
  return streams.add(work);
}

/** How many streams run now and how many wait. */
export function contentStreams(): { running: number; waiting: number } {
  return { running: streams.pending, waiting: streams.size };
}

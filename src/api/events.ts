import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ControlEvent, DaemonControl } from '../daemon/control.js';
import type { Logger } from '../lib/logger.js';

/** A comment line this often keeps proxies and idle timeouts from cutting the stream. */
const HEARTBEAT_MS = 15_000;
/**
 * Events queued for one client that has stopped reading. Past this the client is dropped
 * rather than letting the daemon's memory grow with a dashboard left in a background tab.
 */
const MAX_PENDING_WRITES = 1_000;

/**
 * Streams the daemon's events to one client as server-sent events until the client goes
 * away or `closing` is aborted (the server is shutting down). Each event's `event:` field is
 * its type (`file`, `paused`, `resumed`, `undo`) and its `data:` line is the event as JSON.
 */
export function streamEvents(
  c: Context,
  options: { control: DaemonControl; logger: Logger; closing?: AbortSignal },
): Response {
  const { control, logger, closing } = options;
  return streamSSE(c, async (stream) => {
    let sequence = 0;
    let pending = 0;
    let dropped = false;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });

    const send = (write: Promise<unknown>) => {
      pending += 1;
      write
        .catch(() => {
          // The client went away mid-write; onAbort ends the stream.
          finish();
        })
        .finally(() => {
          pending -= 1;
        });
    };
    const unsubscribe = control.subscribe((event: ControlEvent) => {
      if (dropped) return;
      if (pending >= MAX_PENDING_WRITES) {
        dropped = true;
        logger.warn('An /events client is not reading its events; closing its stream');
        finish();
        return;
      }
      sequence += 1;
      send(
        stream.writeSSE({ event: event.type, id: String(sequence), data: JSON.stringify(event) }),
      );
    });
    const heartbeat = setInterval(() => send(stream.write(': keep-alive\n\n')), HEARTBEAT_MS);

    stream.onAbort(finish);
    closing?.addEventListener('abort', finish, { once: true });
    if (closing?.aborted) finish();
    // Sent at once so the client sees the response start before the first event.
    send(stream.write(': connected\n\n'));

    await finished;
    clearInterval(heartbeat);
    unsubscribe();
    closing?.removeEventListener('abort', finish);
  });
}

import type { DaemonStatus } from '../../daemon/control.js';
import type { FileEvent } from '../../pipeline/file-event.js';
import { ActionButton, Thumb } from '../layout.js';
import type { Session } from '../session.js';

/** The Now page's status panel: state, queue, folders, tagging and places. */
export function StatusPanel(props: {
  status: DaemonStatus;
  libraryPresent: boolean;
  session: Session;
}) {
  const { status, session } = props;
  const paused = status.state === 'paused';
  return (
    <section id="status" aria-labelledby="status-title" data-fragment="/ui/now/status">
      <h2 id="status-title">Daemon</h2>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <strong class={`state ${status.state}`}>{paused ? 'Paused' : 'Running'}</strong>{' '}
          {paused ? (
            <ActionButton session={session} action="/ui/resume" label="Resume" kind="primary" />
          ) : (
            <ActionButton session={session} action="/ui/pause" label="Pause" />
          )}
        </dd>
        <dt>Queue</dt>
        <dd>
          {status.queue.waiting} waiting, {status.queue.active} active · {status.processed} handled,{' '}
          {status.failed} failed since {status.startedAt}
        </dd>
        <dt>Library</dt>
        <dd>
          <code>{status.library}</code>{' '}
          <span class={props.libraryPresent ? 'ok' : 'bad'}>
            {props.libraryPresent ? 'present' : 'missing: filing waits until it is back'}
          </span>
        </dd>
        <dt>Inboxes</dt>
        <dd>
          <ul class="plain">
            {status.inboxes.map((inbox) => (
              <li>
                <code>{inbox.path}</code>{' '}
                <span class={inbox.watching ? 'ok' : 'bad'}>
                  {inbox.watching
                    ? 'watched'
                    : `missing${inbox.problem ? `: ${inbox.problem}` : ''}`}
                </span>
              </li>
            ))}
          </ul>
        </dd>
        <dt>Tagging</dt>
        <dd>
          {status.tagging.enabled ? 'on' : 'off'}
          {status.tagging.reason ? ` — ${status.tagging.reason}` : ''}
        </dd>
        <dt>Places</dt>
        <dd>
          {status.geocode.enabled ? `on (${status.geocode.provider ?? 'geonames'})` : 'off'}
          {status.geocode.reason ? ` — ${status.geocode.reason}` : ''}
        </dd>
      </dl>
    </section>
  );
}

function placeText(place: FileEvent['place']): string {
  if (!place) return 'no place';
  return [place.city, place.region, place.country].filter(Boolean).join(', ') || 'no place';
}

/** One handled file of the live feed. */
function FeedItem(props: { event: FileEvent }) {
  const { event } = props;
  const shown = event.target ?? event.source;
  return (
    <li class={`file ${event.action}`}>
      <Thumb path={shown} alt={`Thumbnail of ${shown}`} />
      <div class="what">
        <p class="paths">
          <code>{event.source}</code>
          {event.target ? (
            <>
              {' '}
              <span aria-label="to">→</span> <code>{event.target}</code>
            </>
          ) : null}
        </p>
        <p class="meta">
          <span class={`action ${event.action}`}>{event.action}</span>
          {event.rule ? ` by rule “${event.rule}”` : ''} ·{' '}
          {event.takenAt ? `${event.takenAt} (from ${event.dateSource ?? 'unknown'})` : 'no date'} ·{' '}
          {placeText(event.place)} ·{' '}
          {event.tags && event.tags.length > 0
            ? event.tags.map((tag) => tag.label).join(', ')
            : 'no tags'}
        </p>
        {event.error || event.reason ? <p class="reason">{event.error ?? event.reason}</p> : null}
      </div>
      <time datetime={event.at}>{event.at.slice(11, 19)}</time>
    </li>
  );
}

/** The live feed: files as they are handled, newest first. */
export function Feed(props: { files: readonly FileEvent[] }) {
  return (
    <section aria-labelledby="feed-title" id="feed" data-fragment="/ui/now/feed">
      <h2 id="feed-title">Files handled</h2>
      {props.files.length === 0 ? (
        <p class="empty">Nothing handled yet. Drop photos into an inbox and they appear here.</p>
      ) : (
        <ol class="feed" aria-live="polite">
          {props.files.map((event) => (
            <FeedItem event={event} />
          ))}
        </ol>
      )}
    </section>
  );
}

import { basename } from 'node:path';
import type { AttentionItem } from '../../daemon/control.js';
import { ActionButton, Csrf, Thumb } from '../layout.js';
import type { Session } from '../session.js';

let formIds = 0;

function FixForm(props: { item: AttentionItem; session: Session }) {
  const { item, session } = props;
  const id = `fix-${(formIds = (formIds + 1) % 1_000_000)}`;
  const readOnly = session.scope !== 'admin';
  return (
    <form method="post" action="/ui/attention/file" class="fix">
      <Csrf session={session} />
      <input type="hidden" name="path" value={item.path} />
      <label for={`${id}-date`}>Taken at</label>
      <input id={`${id}-date`} type="datetime-local" name="takenAt" />
      <label for={`${id}-city`}>City</label>
      <input id={`${id}-city`} name="city" autocomplete="off" />
      <label for={`${id}-country`}>Country</label>
      <input id={`${id}-country`} name="country" autocomplete="off" />
      <button type="submit" class="primary" disabled={readOnly}>
        File it
      </button>
    </form>
  );
}

/** Needs attention: files in Unsorted and files left in an inbox, each with its reason. */
export function AttentionPage(props: { items: AttentionItem[]; session: Session }) {
  const { items, session } = props;
  if (items.length === 0) {
    return <p class="empty">Nothing needs you: every file is filed.</p>;
  }
  return (
    <ul class="attention">
      {items.map((item) => (
        <li class={`file ${item.action ?? 'waiting'}`}>
          <Thumb path={item.path} alt={`Thumbnail of ${basename(item.path)}`} />
          <div class="what">
            <p class="paths">
              <code>{item.path}</code>
            </p>
            <p class="meta">
              {item.where === 'unsorted' ? 'in Unsorted' : 'left in the inbox'}
              {item.action ? ` · ${item.action}` : ''}
            </p>
            <p class="reason">{item.reason}</p>
            {item.duplicateOf ? (
              <p>
                <a class="button" href={`/ui/duplicate?path=${encodeURIComponent(item.path)}`}>
                  Compare with the library copy…
                </a>
              </p>
            ) : (
              <FixForm item={item} session={session} />
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** A duplicate beside the library file with the same bytes, and what to do with it. */
export function DuplicatePage(props: {
  path: string;
  original: string;
  sizes: { path: number | null; original: number | null };
  session: Session;
}) {
  const { path, original, session } = props;
  return (
    <>
      <div class="side-by-side">
        <figure>
          <Thumb path={path} alt={`The copy in the inbox, ${basename(path)}`} />
          <figcaption>
            In the inbox: <code>{path}</code> ({props.sizes.path ?? '?'} bytes)
          </figcaption>
        </figure>
        <figure>
          <Thumb path={original} alt={`The library copy, ${basename(original)}`} />
          <figcaption>
            In the library: <code>{original}</code> ({props.sizes.original ?? '?'} bytes)
          </figcaption>
        </figure>
      </div>
      <p>Both hold the same bytes.</p>
      <div class="actions">
        <a class="button" href="/ui/attention">
          Keep it in the inbox
        </a>
        <ActionButton
          session={session}
          action="/ui/duplicate/trash"
          label="Delete the inbox copy (to the trash; undo brings it back)"
          fields={{ path }}
          kind="danger"
        />
        <ActionButton
          session={session}
          action="/ui/duplicate/file"
          label="File it anyway (beside the other, numbered)"
          fields={{ path }}
        />
      </div>
    </>
  );
}

import { basename, extname } from 'node:path';
import type { JournalEntry, UndoItem, UndoResult } from '../../journal/types.js';
import type { Drop, FileGroup } from '../drops.js';
import { ActionButton, Thumb } from '../layout.js';
import type { Session } from '../session.js';

/** What an undo confirmation or result is about, as query or form fields. */
export type UndoTarget =
  { first: number; last: number } | { group: string } | { id: number } | { batch: string };

/** `/ui/undo?…` for a target. */
export function undoLink(target: UndoTarget): string {
  return `/ui/undo?${new URLSearchParams(
    Object.entries(target).map(([key, value]): [string, string] => [key, String(value)]),
  ).toString()}`;
}

function time(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

function FileRow(props: { entry: JournalEntry; alone: boolean }) {
  const { entry } = props;
  const undone = entry.status === 'undone';
  const where = undone ? entry.source : (entry.target ?? entry.source);
  return (
    <li class={`entry ${entry.status}`}>
      <Thumb path={where} alt={`Thumbnail of ${basename(where)}`} />
      <div class="what">
        <p class="paths">
          <code>{entry.source}</code> <span aria-label="to">→</span> <code>{entry.target}</code>
        </p>
        <p class="meta">
          {entry.op}
          {entry.action ? ` (${entry.action})` : ''} · {entry.status}
          {undone ? ' — put back' : ''}
        </p>
      </div>
      {props.alone && entry.status === 'done' ? (
        <a class="button" href={undoLink({ id: entry.id })}>
          Undo file…
        </a>
      ) : null}
    </li>
  );
}

/** What a group of files filed together is, from its members' extensions. */
function groupKind(entries: readonly JournalEntry[]): string {
  const exts = entries.map((entry) => extname(entry.source).toLowerCase());
  const videos = exts.filter((ext) => ext === '.mov' || ext === '.mp4').length;
  const sidecars = exts.filter((ext) => ['.xmp', '.aae', '.json'].includes(ext)).length;
  const parts: string[] = [];
  if (videos > 0 && videos < exts.length) parts.push('a Live Photo (still and video)');
  if (sidecars > 0) parts.push(`${sidecars} sidecar${sidecars === 1 ? '' : 's'}`);
  return parts.length > 0 ? parts.join(' with ') : 'a photo with its RAW or other versions';
}

function GroupBlock(props: { group: FileGroup }) {
  const { group } = props;
  if (group.entries.length === 1) {
    const [entry] = group.entries;
    return entry ? <FileRow entry={entry} alone={true} /> : null;
  }
  const open = group.entries.some((entry) => entry.status === 'done');
  return (
    <li class="group">
      <p class="group-title">
        {group.entries.length} files filed together: {groupKind(group.entries)}
        {open ? (
          <>
            {' '}
            <a class="button" href={undoLink({ group: group.key })}>
              Undo group…
            </a>
          </>
        ) : null}
      </p>
      <ul class="entries">
        {group.entries.map((entry) => (
          <FileRow entry={entry} alone={false} />
        ))}
      </ul>
    </li>
  );
}

/** History: the journal as drops, newest first, each expandable to its groups and files. */
export function HistoryPage(props: { drops: Drop[] }) {
  if (props.drops.length === 0) return <p class="empty">Nothing filed yet.</p>;
  return (
    <ol class="drops">
      {props.drops.map((drop) => (
        <li class="drop">
          <details>
            <summary>
              <span class="when">
                {time(drop.startedAt)} – {time(drop.endedAt).slice(11)}
              </span>{' '}
              · {drop.files} file{drop.files === 1 ? '' : 's'} · {drop.undoable} still filed
            </summary>
            <ul class="entries">
              {drop.groups.map((group) => (
                <GroupBlock group={group} />
              ))}
            </ul>
          </details>
          {drop.undoable > 0 ? (
            <a class="button" href={undoLink({ first: drop.first, last: drop.last })}>
              Undo drop…
            </a>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/** Whether a refusal is one `force` overrides: the file changed since it was filed. */
function forceHelps(item: UndoItem): boolean {
  return item.reason?.includes('changed since it was filed') === true;
}

function ItemList(props: { items: UndoItem[]; refused?: boolean }) {
  return (
    <ul class="entries">
      {props.items.map((item) => (
        <li class={props.refused ? 'entry refused' : 'entry'}>
          <p class="paths">
            <code>{item.from}</code> <span aria-label="back to">→</span> <code>{item.to}</code>
          </p>
          {item.reason ? (
            <p class="reason">
              {item.reason.replace(/; use --force to move it back anyway$/, '')}
              {forceHelps(item)
                ? '. It can be moved back anyway (the CLI’s --force), which keeps the changed content.'
                : ''}
            </p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/**
 * An undo to confirm (`confirm` set: a dry run's result) or one done: what is put back and
 * what is refused, each with its reason.
 */
export function UndoPage(props: {
  result: UndoResult;
  ids: number[];
  session: Session;
  confirm: boolean;
}) {
  const { result, ids, session, confirm } = props;
  const forcible = result.refused.filter(forceHelps);
  return (
    <>
      <h2>
        {confirm ? 'Will put back' : 'Put back'}: {result.undone.length} file
        {result.undone.length === 1 ? '' : 's'}
      </h2>
      <ItemList items={result.undone} />
      {result.refused.length > 0 ? (
        <>
          <h2>Refused: {result.refused.length}</h2>
          <ItemList items={result.refused} refused={true} />
        </>
      ) : null}
      {confirm && result.undone.length > 0 ? (
        <ActionButton
          session={session}
          action="/ui/undo"
          label={`Undo ${result.undone.length} file${result.undone.length === 1 ? '' : 's'}`}
          fields={{ ids: ids.join(',') }}
          kind="danger"
        />
      ) : null}
      {forcible.length > 0 ? (
        <ActionButton
          session={session}
          action="/ui/undo"
          label={`Undo anyway, with the changed content (${forcible.length})`}
          fields={{ ids: forcible.map((item) => item.id).join(','), force: 'true' }}
          kind="danger"
        />
      ) : null}
      <p>
        <a href="/ui/history">Back to History</a>
      </p>
    </>
  );
}

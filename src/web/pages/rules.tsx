import type { PreviewReport } from '../../daemon/control.js';
import { Csrf } from '../layout.js';
import type { Session } from '../session.js';
import { undoLink } from './history.js';

/** The folders a preview may run over: each inbox, the library, or one typed in. */
export interface FolderChoice {
  inboxes: string[];
  library: string;
}

/** The Rules lab: the configuration in an editor, with preview, save and re-sort. */
export function RulesPage(props: {
  yaml: string;
  file: string | null;
  folders: FolderChoice;
  folder: string;
  session: Session;
}) {
  const { folders, folder, session } = props;
  const readOnly = session.scope !== 'admin';
  const known = [...folders.inboxes, folders.library];
  return (
    <form method="post" action="/ui/rules/preview" class="lab">
      <Csrf session={session} />
      <label for="yaml">
        Configuration {props.file ? <code>{props.file}</code> : null} (rules, templates and the
        rest)
      </label>
      <textarea id="yaml" name="yaml" rows={18} spellcheck={false} readonly={readOnly}>
        {props.yaml}
      </textarea>
      <fieldset>
        <legend>Preview over</legend>
        {folders.inboxes.map((inbox, i) => (
          <label class="choice">
            <input
              type="radio"
              name="folder"
              value={inbox}
              checked={folder === inbox}
              id={`f-${i}`}
            />{' '}
            inbox <code>{inbox}</code>
          </label>
        ))}
        <label class="choice">
          <input
            type="radio"
            name="folder"
            value={folders.library}
            checked={folder === folders.library}
          />{' '}
          the library itself <code>{folders.library}</code>
        </label>
        <label class="choice">
          <input type="radio" name="folder" value="" checked={!known.includes(folder)} /> another
          folder:
        </label>
        <label for="other" class="visually-hidden">
          Another folder to preview over
        </label>
        <input id="other" name="other" value={known.includes(folder) ? '' : folder} />
      </fieldset>
      <div class="actions">
        <button type="submit" disabled={readOnly}>
          Preview
        </button>
        <button type="submit" formaction="/ui/rules/save" disabled={readOnly}>
          Save
        </button>
        <button type="submit" formaction="/ui/rules/resort" class="danger" disabled={readOnly}>
          Save and re-sort library
        </button>
      </div>
    </form>
  );
}

/** What a preview (or a re-sort) found: counts per outcome, then examples of moves. */
export function PreviewResult(props: { report: PreviewReport; applied: boolean }) {
  const { report, applied } = props;
  const { counts } = report;
  return (
    <section aria-labelledby="preview-title" id="preview">
      <h2 id="preview-title">
        {applied ? 'Re-sorted' : 'Preview'}: <code>{report.folder}</code>
      </h2>
      <p class="counts">
        <span data-count="moving">{report.moving}</span> {applied ? 'moved' : 'would move'} ·{' '}
        {counts.unchanged} unchanged · {counts.unsorted} unsorted · {counts.duplicate} duplicates ·{' '}
        {counts.skip} skipped · {counts.error} errors
      </p>
      {applied && report.batch ? (
        <p>
          All in batch <code>{report.batch}</code>:{' '}
          <a class="button" href={undoLink({ batch: report.batch })}>
            Undo this re-sort…
          </a>
        </p>
      ) : null}
      {report.moves.length > 0 ? (
        <table class="moves">
          <caption>
            {report.moves.length < report.moving
              ? `The first ${report.moves.length} of ${report.moving}`
              : 'Every file that moves'}
          </caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {report.moves.map((move) => (
              <tr>
                <td>
                  <code>{move.source}</code>
                </td>
                <td>
                  <code>{move.target}</code>
                </td>
                <td>
                  {move.action}
                  {move.rule ? ` (rule ${move.rule})` : ''}
                  {move.reason ? `: ${move.reason}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

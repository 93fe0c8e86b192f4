import type { JournalEntry, UndoResult } from '../journal/types.js';

const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;

/**
 * An undo for a person: each file put back (or that would be), each refusal with its reason
 * — which carries its own hint (`--force` for a changed file, moving away what occupies the
 * original path) — then one line of counts and the batch that undoes the undo.
 */
export function describeUndo(result: UndoResult): string {
  const verb = result.dryRun ? 'would put back' : 'put back';
  const lines = [
    ...result.undone.map((item) => `${verb}  ${item.from}\n     →  ${item.to}`),
    ...result.refused.map((item) => `refused  ${item.from}: ${item.reason ?? 'refused'}`),
  ];
  const refused = result.refused.length;
  const summary =
    (result.dryRun ? 'dry run: ' : '') +
    `${verb} ${files(result.undone.length)}` +
    (refused > 0 ? `; ${files(refused)} refused, each for the reason above` : '') +
    (result.batch ? ` (batch ${result.batch})` : '; nothing was changed');
  return `${[...lines, summary].join('\n')}\n`;
}

/**
 * A journal row for a person: `move`/`undo`/`delete` as `source → target`; a file
 * photosortd made (an XMP sidecar) as `created TARGET`; a file it rewrote in place as
 * `rewrote TARGET (original kept at SOURCE)`.
 */
export function describeEntry(entry: JournalEntry): string {
  const what =
    entry.op === 'create'
      ? (entry.target ?? entry.source)
      : entry.op === 'rewrite'
        ? `${entry.target ?? '-'} (untouched copy kept at ${entry.source})`
        : `${entry.source} → ${entry.target ?? '-'}`;
  return `${entry.createdAt}  ${entry.batch}  ${entry.op.padEnd(7)} ${entry.status.padEnd(7)} ${what}\n`;
}

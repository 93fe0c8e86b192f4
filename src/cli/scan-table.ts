import { isAbsolute, relative } from 'node:path';
import type { Place } from '../lib/media.js';

/** What the table shows of one file: the fields of a `scan --json` line it needs. */
export interface ScanRow {
  source: string;
  target: string | null;
  action: string;
  takenAt: string | null;
  dateSource: string | null;
  place: Place | null;
  error: string | null;
  reason: string | null;
}

/** Options of {@link filesTable}. */
export interface FilesTableOptions {
  /** The library: targets are shown relative to it. */
  library: string;
  /** The folders scanned: sources are shown relative to the one they lie in. */
  roots: string[];
  /** Aligned columns for a person (a terminal); tab-separated for a pipe. */
  aligned: boolean;
  dryRun: boolean;
}

const HEADER = ['FILE', 'TARGET', 'DATE', 'DATE SOURCE', 'PLACE', 'REASON'];

/** `path` relative to `base` when it lies inside it, else as it is. */
function below(base: string, path: string): string {
  const rel = relative(base, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Where the file goes, or what happens to it instead. */
function targetText(row: ScanRow, options: FilesTableOptions): string {
  if (row.action === 'error') return options.dryRun ? '(would fail)' : '(failed)';
  if (row.target === null || row.action === 'skip') return '(stays)';
  return below(options.library, row.target);
}

function placeText(place: Place | null): string {
  if (!place) return '';
  return [place.city, place.countryCode].filter(Boolean).join(', ');
}

/**
 * The files of a scan as a table, one row per file in the order of their paths: where each
 * goes (relative to the library), the capture date and where it came from, the place, and
 * why a file goes elsewhere than its rule's folder or stays — what `organize sim` and
 * phockup's dry run show.
 */
export function filesTable(rows: ScanRow[], options: FilesTableOptions): string {
  const body = [...rows]
    .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0))
    .map((row) => [
      below(options.roots.find((root) => below(root, row.source) !== row.source) ?? '', row.source),
      targetText(row, options),
      row.takenAt?.slice(0, 16).replace('T', ' ') ?? '',
      row.dateSource ?? '',
      placeText(row.place),
      row.error ?? row.reason ?? '',
    ]);
  const table = [HEADER, ...body].map((cells) => cells.map(oneLine));
  if (!options.aligned) return table.map((cells) => cells.join('\t') + '\n').join('');
  const widths = HEADER.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  return table
    .map(
      (cells) =>
        cells
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}

/** A cell on one line: a newline or tab in a file name must not break the table. */
function oneLine(cell: string): string {
  return cell.replace(/[\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

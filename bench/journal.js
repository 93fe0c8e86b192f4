// Journal lookups the pipeline makes per file, on a journal of ROWS finished moves (years of
// use): where a late sidecar's or video's file went (`movedFrom`), a Live Photo's other half
// (`movedWithContentId`), whether undo put a file back (`restoredByUndo`). The baseline is
// the LIKE query `movedFrom` used before its index, run on the same database in the same run.
// Build first: `npx tsc -p tsconfig.build.json && node bench/journal.js [ROWS] [CALLS]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../dist/journal/journal.js';

const rows = Number(process.argv[2] ?? 200_000);
const calls = Number(process.argv[3] ?? 500);
const dir = mkdtempSync(join(tmpdir(), 'photosortd-bench-journal-'));

try {
  const journal = Journal.open(join(dir, 'state'));
  const insert = journal.db.prepare(
    `INSERT INTO operations (batch, op, status, source, target, hash, size, grp, created_at, details)
     VALUES ('b', 'move', 'done', ?, ?, ?, 1, ?, '2024-01-01T00:00:00Z', ?)`,
  );
  journal.db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const details = { takenAt: '2024-01-01T10:00:00+01:00', contentId: i % 3 ? null : `ID-${i}` };
      insert.run(
        `/inbox/dump-${i % 400}/IMG_${i}.JPG`,
        `/library/2024/2024-01-01/IMG_${i}.JPG`,
        `hash-${i}`,
        `g${i}`,
        JSON.stringify(details),
      );
    }
  })();

  const like = journal.db.prepare(
    `SELECT * FROM operations WHERE status = 'done' AND op = 'move' AND source LIKE ? ESCAPE '\\'
       ORDER BY id DESC LIMIT 20`,
  );
  const pick = (n) => (n * 7919) % rows;
  const time = (run) => {
    const started = performance.now();
    for (let n = 0; n < calls; n++) run(pick(n));
    return (performance.now() - started) / calls;
  };
  const prefix = (i) => `/inbox/dump-${i % 400}/img_${i}`;
  const results = [
    ['`source LIKE` scan (the old `movedFrom`, baseline)', time((i) => like.all(`${prefix(i)}%`))],
    ['`movedFrom` (index on `lower(source)`)', time((i) => journal.movedFrom(prefix(i)))],
    [
      '`movedWithContentId` (index on `details.contentId`)',
      time((i) => journal.movedWithContentId(`ID-${i - (i % 3)}`)),
    ],
    [
      '`restoredByUndo`',
      time((i) => journal.restoredByUndo(`/inbox/dump-${i % 400}/IMG_${i}.JPG`, 'h')),
    ],
  ];
  journal.close();
  const baseline = results[0][1];
  process.stdout.write(
    [
      '## Journal lookups',
      '',
      `A journal of ${rows.toLocaleString('en')} finished moves; ${calls} lookups each. These run`,
      'on the event loop for every video, late sidecar and file dropped into the daemon.',
      '',
      '| lookup | ms per call | baseline ÷ this |',
      '|---|---:|---:|',
      ...results.map(
        ([name, ms], n) =>
          `| ${name} | ${ms.toFixed(3)} | ${n === 0 ? '1 (baseline)' : `${(baseline / ms).toFixed(0)}×`} |`,
      ),
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

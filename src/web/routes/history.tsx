import type { DashboardControl } from '../../daemon/control.js';
import type { UndoSelector } from '../../journal/types.js';
import { PhotosortdError } from '../../lib/errors.js';
import { dropRows, toDrops } from '../drops.js';
import { HistoryPage, UndoPage } from '../pages/history.js';
import { WEB_LIMITS, must, page, type Router, type WebDeps } from '../render.js';

/** History, the undo confirmation (a dry run) and the undo itself. */
export function historyRoutes(web: Router, deps: WebDeps): void {
  const { control, logger } = deps;
  web.get('/ui/history', (c) => {
    const drops = toDrops(control.journal(WEB_LIMITS.historyRows));
    return page(c, 'History', '/ui/history', must(c), <HistoryPage drops={drops} />);
  });
  web.get('/ui/undo', async (c) => {
    const session = must(c);
    const selector = undoSelector(control, c.req.query());
    const result = await control.undo(selector, { dryRun: true });
    const ids =
      'ids' in selector
        ? selector.ids
        : result.undone.concat(result.refused).map((item) => item.id);
    return page(
      c,
      'Undo?',
      '/ui/history',
      session,
      <UndoPage result={result} ids={ids} session={session} confirm={true} />,
    );
  });
  web.post('/ui/undo', async (c) => {
    const session = must(c);
    const form = await c.req.parseBody();
    const ids = idList(String(form.ids ?? ''));
    const force = form.force === 'true';
    const result = await control.undo({ ids }, { force });
    const counts = { undone: result.undone.length, refused: result.refused.length };
    logger.info({ by: session.name, ids: ids.length, force, ...counts }, 'Undo from the dashboard');
    return page(
      c,
      'Undo',
      '/ui/history',
      session,
      <UndoPage result={result} ids={ids} session={session} confirm={false} />,
    );
  });
}

/** "1,2,3" → row ids; anything else is a bad request that names the field. */
function idList(text: string): number[] {
  const ids = text.split(',').filter(Boolean).map(Number);
  if (ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id > 0)) {
    throw new PhotosortdError(
      'BAD_REQUEST',
      `ids must be journal row ids such as 12,13; got "${text}"`,
    );
  }
  return ids;
}

/** `?first=&last=` (a drop), `?group=`, `?id=` or `?batch=` → the rows an undo takes back. */
function undoSelector(control: DashboardControl, query: Record<string, string>): UndoSelector {
  if (query.batch) return { batch: query.batch };
  const rows = control.journal(WEB_LIMITS.historyRows);
  if (query.group) {
    const group = rows.filter((row) => row.group === query.group && row.status === 'done');
    return { ids: group.map((row) => row.id) };
  }
  if (query.id) return { ids: idList(query.id) };
  const first = Number(query.first);
  const last = Number(query.last);
  if (Number.isInteger(first) && Number.isInteger(last)) {
    return { ids: dropRows(rows, first, last) };
  }
  throw new PhotosortdError(
    'BAD_REQUEST',
    'Say what to undo: a drop, a group or a file from History',
  );
}

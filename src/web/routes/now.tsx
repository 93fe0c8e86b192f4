import { stat } from 'node:fs/promises';
import { streamEvents } from '../../api/events.js';
import { Feed, StatusPanel } from '../pages/now.js';
import { must, page, type Router, type WebDeps } from '../render.js';
import { thumbnailOf } from '../thumbnail.js';

/**
 * The Now page, the fragments its script refreshes, the event stream it listens to, pause
 * and resume, and thumbnails.
 */
export function nowRoutes(web: Router, deps: WebDeps): void {
  const { control, logger, recent } = deps;
  const status = async (c: Parameters<typeof must>[0]) => (
    <StatusPanel
      status={control.status()}
      libraryPresent={await isFolder(control.config().library)}
      session={must(c)}
    />
  );
  web.get('/', async (c) =>
    page(
      c,
      'Now',
      '/',
      must(c),
      <>
        {await status(c)}
        <Feed files={recent.list()} />
      </>,
    ),
  );
  web.get('/ui/now/status', async (c) => c.html(await status(c)));
  web.get('/ui/now/feed', (c) => {
    must(c);
    return c.html(<Feed files={recent.list()} />);
  });
  web.get('/ui/events', (c) => {
    must(c);
    return streamEvents(c, { control, logger, closing: deps.closing });
  });
  web.post('/ui/pause', (c) => {
    control.pause();
    logger.info({ by: must(c).name }, 'Paused from the dashboard');
    return c.redirect('/', 303);
  });
  web.post('/ui/resume', (c) => {
    control.resume();
    logger.info({ by: must(c).name }, 'Resumed from the dashboard');
    return c.redirect('/', 303);
  });
  web.get('/ui/thumb', async (c) => {
    must(c);
    const current = control.config();
    const roots = [current.library, ...current.inboxes.map((inbox) => inbox.path)];
    const thumb = await thumbnailOf(c.req.query('path') ?? '', roots);
    if (!thumb) return c.text('No thumbnail for that file', 404);
    if (c.req.header('if-none-match') === thumb.etag) return c.body(null, 304);
    return c.body(new Uint8Array(thumb.jpeg), 200, {
      'Content-Type': 'image/jpeg',
      ETag: thumb.etag,
      'Cache-Control': 'private, no-cache',
    });
  });
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

import { stat } from 'node:fs/promises';
import type { Context } from 'hono';
import type { FileEvent } from '../../pipeline/file-event.js';
import { PhotosortdError } from '../../lib/errors.js';
import { Notice } from '../layout.js';
import { AttentionPage, DuplicatePage } from '../pages/attention.js';
import { must, page, type Router, type WebDeps, type WebEnv } from '../render.js';

/** Needs attention, filing a file by hand, and a duplicate's page and actions. */
export function attentionRoutes(web: Router, deps: WebDeps): void {
  const { control } = deps;
  /** The page, with what the action just done came to above the list. */
  const attentionPage = async (c: Context<WebEnv>, event?: FileEvent) => {
    const session = must(c);
    const items = await control.attention();
    return page(
      c,
      'Needs attention',
      '/ui/attention',
      session,
      <>
        {event ? <Outcome event={event} /> : null}
        <AttentionPage items={items} session={session} />
      </>,
    );
  };
  web.get('/ui/attention', (c) => attentionPage(c));
  web.post('/ui/attention/file', async (c) => {
    const form = await c.req.parseBody();
    const event = await control.fileByHand(String(form.path ?? ''), {
      takenAt: String(form.takenAt ?? '') || undefined,
      place: { city: String(form.city ?? ''), country: String(form.country ?? '') },
    });
    return attentionPage(c, event);
  });
  web.get('/ui/duplicate', async (c) => {
    const session = must(c);
    const path = c.req.query('path') ?? '';
    const item = (await control.attention()).find((candidate) => candidate.path === path);
    if (!item?.duplicateOf) {
      throw new PhotosortdError(
        'NOT_A_DUPLICATE',
        `${path} is not a duplicate waiting in an inbox`,
      );
    }
    const sizes = { path: await sizeOf(path), original: await sizeOf(item.duplicateOf) };
    return page(
      c,
      'Duplicate',
      '/ui/attention',
      session,
      <DuplicatePage path={path} original={item.duplicateOf} sizes={sizes} session={session} />,
    );
  });
  web.post('/ui/duplicate/trash', async (c) =>
    attentionPage(c, await control.trashDuplicate(String((await c.req.parseBody()).path ?? ''))),
  );
  web.post('/ui/duplicate/file', async (c) =>
    attentionPage(c, await control.fileAnyway(String((await c.req.parseBody()).path ?? ''))),
  );
}

/** What filing, trashing or filing anyway did to a file. */
function Outcome(props: { event: FileEvent }) {
  const { event } = props;
  return event.target ? (
    <Notice kind="ok">
      <code>{event.source}</code> → <code>{event.target}</code> ({event.action}); History can undo
      it.
    </Notice>
  ) : (
    <Notice kind="error">
      <code>{event.source}</code> stays where it is: {event.error ?? event.reason ?? event.action}
    </Notice>
  );
}

async function sizeOf(path: string): Promise<number | null> {
  return stat(path).then(
    (info) => info.size,
    () => null,
  );
}

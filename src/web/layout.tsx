import type { Child } from 'hono/jsx';
import type { Session } from './session.js';
import { CSRF_FIELD } from './session.js';

/** The pages of the dashboard, in the order the navigation lists them. */
const PAGES = [
  { path: '/', label: 'Now' },
  { path: '/ui/history', label: 'History' },
  { path: '/ui/attention', label: 'Needs attention' },
  { path: '/ui/rules', label: 'Rules lab' },
  { path: '/ui/search', label: 'Search' },
] as const;

/** The frame of every page: head, skip link, navigation, and `children` as the main part. */
export function Layout(props: {
  title: string;
  path: string;
  session?: Session;
  children?: Child;
}) {
  const { title, path, session } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {session ? <meta name="csrf-token" content={session.csrf} /> : null}
        <title>{`${title} · photosortd`}</title>
        <link rel="stylesheet" href="/ui/assets/dashboard.css" />
        <script type="module" src="/ui/assets/dashboard.js"></script>
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header>
          <span class="brand">photosortd</span>
          {session ? (
            <nav aria-label="Pages">
              <ul>
                {PAGES.map((page) => (
                  <li>
                    <a href={page.path} aria-current={page.path === path ? 'page' : undefined}>
                      {page.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {session ? (
            <form method="post" action="/logout" class="logout">
              <Csrf session={session} />
              <span class="who">
                {session.name} ({session.scope})
              </span>
              <button type="submit">Log out</button>
            </form>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every state-changing form carries. */
export function Csrf(props: { session: Session }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.session.csrf} />;
}

/** A button that posts `fields` to `action`; disabled, with the reason, for a read-only login. */
export function ActionButton(props: {
  session: Session;
  action: string;
  label: string;
  fields?: Record<string, string>;
  kind?: 'danger' | 'primary';
}) {
  const { session } = props;
  const readOnly = session.scope !== 'admin';
  return (
    <form method="post" action={props.action} class="inline">
      <Csrf session={session} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button
        type="submit"
        class={props.kind}
        disabled={readOnly}
        title={readOnly ? 'This login has read scope: it can look, not change' : undefined}
      >
        {props.label}
      </button>
    </form>
  );
}

/** A notice at the top of a page: what an action did or why it was refused. */
export function Notice(props: { kind: 'ok' | 'error'; children?: Child }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** `/ui/thumb?path=…`, the thumbnail of a file by path. */
function thumbUrl(path: string): string {
  return `/ui/thumb?path=${encodeURIComponent(path)}`;
}

/** A thumbnail image, or an empty frame of the same size when there is no file. */
export function Thumb(props: { path: string | null; alt: string }) {
  return props.path ? (
    <img
      class="thumb"
      src={thumbUrl(props.path)}
      alt={props.alt}
      width="80"
      height="80"
      loading="lazy"
    />
  ) : (
    <span class="thumb none" aria-hidden="true"></span>
  );
}

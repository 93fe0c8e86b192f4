import { readFile } from 'node:fs/promises';
import type { Context, Handler } from 'hono';
import type { Child } from 'hono/jsx';
import { parseDocument } from 'yaml';
import type { Config } from '../../config/load.js';
import { PhotosortdError } from '../../lib/errors.js';
import { Notice } from '../layout.js';
import { PreviewResult, RulesPage } from '../pages/rules.js';
import { must, page, type Router, type WebDeps, type WebEnv } from '../render.js';
import type { Session } from '../session.js';

/** Stands in for a secret a read-scope login must not read. */
const HIDDEN_SECRET = '(hidden: only an admin login sees it)';

/** The Rules lab: the editor, preview, save, and save-and-re-sort. */
export function rulesRoutes(web: Router, deps: WebDeps): void {
  const { control, logger } = deps;
  web.get('/ui/rules', async (c) => {
    const session = must(c);
    const current = control.config();
    const text = readableConfig(await configText(current), session);
    return rulesPage(c, current, text, current.library);
  });
  /** Runs a lab action; a refusal comes back on the lab page with the edited text kept. */
  const lab =
    (act: (c: Context<WebEnv>, form: LabForm) => Promise<Response>): Handler<WebEnv> =>
    async (c) => {
      const form = labForm(await c.req.parseBody(), control.config());
      try {
        return await act(c, form);
      } catch (error) {
        if (!(error instanceof PhotosortdError)) throw error;
        const refused = <Notice kind="error">{error.message}</Notice>;
        return rulesPage(c, control.config(), form.yaml, form.folder, refused, 409);
      }
    };
  web.post(
    '/ui/rules/preview',
    lab(async (c, { yaml, folder }) => {
      const report = await control.preview(yaml, folder);
      const after = <PreviewResult report={report} applied={false} />;
      return rulesPage(c, control.config(), yaml, folder, after);
    }),
  );
  web.post(
    '/ui/rules/save',
    lab(async (c, { yaml, folder }) => {
      const saved = await control.saveConfig(yaml);
      logger.info({ by: must(c).name, ...saved }, 'Configuration saved from the dashboard');
      const after = (
        <Notice kind="ok">
          Saved and reloaded. The previous file is kept as <code>{saved.backup}</code>.
        </Notice>
      );
      return rulesPage(c, control.config(), yaml, folder, after);
    }),
  );
  web.post(
    '/ui/rules/resort',
    lab(async (c, { yaml }) => {
      if (yaml !== (await configText(control.config()))) await control.saveConfig(yaml);
      const report = await control.resortLibrary();
      logger.info(
        { by: must(c).name, batch: report.batch, moved: report.moving },
        'Library re-sorted from the dashboard',
      );
      const current = control.config();
      const after = <PreviewResult report={report} applied={true} />;
      return rulesPage(c, current, yaml, current.library, after);
    }),
  );
}

async function configText(config: Config): Promise<string> {
  return config.file ? readFile(config.file, 'utf8') : '';
}

/**
 * The configuration as a login of `session`'s scope may read it: a JWT secret written in
 * the file (not `env:NAME`) would let a read-only viewer mint itself an admin token.
 */
function readableConfig(text: string, session: Session): string {
  if (session.scope === 'admin') return text;
  const doc = parseDocument(text);
  const secret = doc.getIn(['api', 'jwt', 'secret']);
  if (typeof secret !== 'string' || secret.startsWith('env:')) return text;
  doc.setIn(['api', 'jwt', 'secret'], HIDDEN_SECRET);
  return doc.toString();
}

/** The Rules lab's form: the edited configuration and the folder to preview over. */
interface LabForm {
  yaml: string;
  folder: string;
}

function labForm(form: Record<string, unknown>, config: Config): LabForm {
  const yaml = typeof form.yaml === 'string' ? form.yaml.replace(/\r\n/g, '\n') : '';
  const chosen = typeof form.folder === 'string' ? form.folder : '';
  const other = typeof form.other === 'string' ? form.other.trim() : '';
  return { yaml, folder: chosen || other || config.library };
}

function rulesPage(
  c: Context<WebEnv>,
  config: Config,
  yaml: string,
  folder: string,
  after?: Child,
  status: 200 | 409 = 200,
): Response | Promise<Response> {
  const session = must(c);
  const folders = { inboxes: config.inboxes.map((inbox) => inbox.path), library: config.library };
  return page(
    c,
    'Rules lab',
    '/ui/rules',
    session,
    <>
      <RulesPage
        yaml={yaml}
        file={config.file}
        folders={folders}
        folder={folder}
        session={session}
      />
      {after}
    </>,
    status,
  );
}

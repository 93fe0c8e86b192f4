import type { Context } from 'hono';
import {
  SEARCH_ERROR_STATUS,
  UPLOAD_ERROR_STATUS,
  searchFilters,
  thumbnailResponse,
} from '../../api/search-routes.js';
import { PhotosortdError } from '../../lib/errors.js';
import type { FindRequest, SearchResult } from '../../search/index.js';
import { Notice } from '../layout.js';
import {
  LikeThis,
  SEARCH_FIELDS,
  SearchForm,
  SearchResults,
  UploadForm,
  type SearchFields,
} from '../pages/search.js';
import { must, page, type Router, type WebDeps, type WebEnv } from '../render.js';

/** What to do when search cannot run, by the error's code. */
const REMEDY: Readonly<Record<string, string>> = Object.freeze({
  SEARCH_NO_MODEL:
    'Get a model with `photosortd models pull` (or point tagging.model at one), then run ' +
    '`photosortd index` to embed what the library holds.',
  SEARCH_MODEL_MISMATCH: 'Run `photosortd index` to embed the library with the configured model.',
});

type SearchStatus = 200 | 400 | 404 | 422 | 503;

/**
 * The Search page: the same {@link SharedSearch} the API's `GET /search` and `/similar`
 * answer from, so the page lists what they return, in their order; a search by a photo of
 * the visitor's own (chosen or dropped on the file field, sent by POST as `POST /similar`
 * takes it); and the thumbnails of its hits, by index id, for the session (the API's
 * `/thumb/:id` takes a bearer token).
 */
export function searchRoutes(web: Router, deps: WebDeps): void {
  web.get('/ui/search', async (c) => {
    const fields = formFields(c);
    const images = fields.like ? [fields.like] : undefined;
    const query = fields.q || images ? { text: fields.q || undefined, images } : null;
    return answer(c, deps, fields, query, SEARCH_ERROR_STATUS);
  });

  web.post('/ui/search', async (c) => {
    const fields = formFields(c);
    const photo = (await c.req.parseBody()).photo;
    if (!(photo instanceof File) || photo.size === 0) {
      return searchPage(
        c,
        fields,
        <Notice kind="error">Choose a photo (or drop one on the field) to find its like.</Notice>,
        422,
      );
    }
    const upload = new Uint8Array(await photo.arrayBuffer());
    return answer(c, deps, fields, { upload }, UPLOAD_ERROR_STATUS, photo.name);
  });

  web.get('/ui/search/thumb/:id', async (c) => {
    must(c);
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) return c.text('No such thumbnail', 404);
    try {
      return thumbnailResponse(c, await (await deps.search.open()).thumbnail(id));
    } catch (error) {
      if (error instanceof PhotosortdError && SEARCH_ERROR_STATUS[error.code]) {
        return c.text(`No thumbnail: ${error.message}`, 404);
      }
      throw error;
    }
  });
}

/** The Search page around `body`: the forms, and what the hits are like when they are. */
function searchPage(
  c: Context<WebEnv>,
  fields: SearchFields,
  body: unknown,
  status: SearchStatus = 200,
  uploaded?: string,
): Response | Promise<Response> {
  const session = must(c);
  return page(
    c,
    'Search',
    '/ui/search',
    session,
    <>
      <SearchForm fields={fields} />
      <UploadForm fields={fields} session={session} />
      {fields.like || uploaded !== undefined ? (
        <LikeThis fields={fields} uploaded={uploaded} />
      ) : null}
      {body}
    </>,
    status,
  );
}

/**
 * Runs a search of the page and shows its hits, or why there are none and what to do; with
 * no `query`, how to ask.
 */
async function answer(
  c: Context<WebEnv>,
  deps: WebDeps,
  fields: SearchFields,
  query: Pick<FindRequest, 'text' | 'images' | 'upload'> | null,
  statuses: Readonly<Record<string, SearchStatus>>,
  uploaded?: string,
): Promise<Response> {
  const show = (body: unknown, status: SearchStatus = 200) =>
    searchPage(c, fields, body, status, uploaded);
  if (!deps.control.config().tagging.enabled) {
    return show(
      <Notice kind="error">
        Search is off: it looks through the embeddings the tag stage makes, and tagging is off
        (tagging.enabled: false). Turn tagging on in the configuration (the Rules lab can), then run{' '}
        <code>photosortd index</code> to embed what the library holds.
      </Notice>,
      503,
    );
  }
  if (!query) {
    return show(
      <p class="hint">
        Say what the photos show (“dog on the beach”), open “More like this” on a hit, or choose a
        photo of yours to find its like.
      </p>,
    );
  }
  let results: SearchResult[];
  try {
    results = await (
      await deps.search.open()
    ).find({ ...searchFilters(filterFields(fields)), ...query });
  } catch (error) {
    const status = error instanceof PhotosortdError ? statuses[error.code] : undefined;
    if (!status) throw error;
    const code = (error as PhotosortdError).code;
    return show(
      <Notice kind="error">
        {(error as PhotosortdError).message}
        {REMEDY[code] ? <p>{REMEDY[code]}</p> : null}
      </Notice>,
      status,
    );
  }
  return show(<SearchResults results={results} fields={fields} />);
}

/** The form's fields from the query string, `''` for each one not given. */
function formFields(c: Context<WebEnv>): SearchFields {
  const entries = SEARCH_FIELDS.map((name) => [name, (c.req.query(name) ?? '').trim()] as const);
  return Object.fromEntries(entries) as SearchFields;
}

/** The filled-in filters (an empty field is no filter), as the API's query parameters. */
function filterFields(fields: SearchFields): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([name, value]) => value !== '' && name !== 'q' && name !== 'like',
    ),
  );
}

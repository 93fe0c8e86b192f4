import type { Context } from 'hono';
import { SEARCH_ERROR_STATUS, searchFilters, thumbnailResponse } from '../../api/search-routes.js';
import { PhotosortdError } from '../../lib/errors.js';
import type { SearchResult } from '../../search/index.js';
import { Notice } from '../layout.js';
import {
  LikeThis,
  SEARCH_FIELDS,
  SearchForm,
  SearchResults,
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

/**
 * The Search page: the same {@link SharedSearch} the API's `GET /search` and `GET /similar`
 * answer from, so the page lists what they return, in their order; and the thumbnails of
 * its hits, by index id, for the session (the API's `/thumb/:id` takes a bearer token).
 */
export function searchRoutes(web: Router, deps: WebDeps): void {
  const { control, search } = deps;
  web.get('/ui/search', async (c) => {
    const session = must(c);
    const fields = formFields(c);
    const show = (body: unknown, status: 200 | 400 | 404 | 503 = 200) =>
      page(
        c,
        'Search',
        '/ui/search',
        session,
        <>
          <SearchForm fields={fields} />
          {fields.like ? <LikeThis fields={fields} /> : null}
          {body}
        </>,
        status,
      );
    if (!control.config().tagging.enabled) {
      return show(
        <Notice kind="error">
          Search is off: it looks through the embeddings the tag stage makes, and tagging is off
          (tagging.enabled: false). Turn tagging on in the configuration (the Rules lab can), then
          run <code>photosortd index</code> to embed what the library holds.
        </Notice>,
        503,
      );
    }
    if (!fields.q && !fields.like) {
      return show(
        <p class="hint">
          Say what the photos show (“dog on the beach”), or open “More like this” on a hit.
        </p>,
      );
    }
    let results: SearchResult[];
    try {
      results = await (
        await search.open()
      ).find({
        ...searchFilters(filterFields(fields)),
        text: fields.q || undefined,
        images: fields.like ? [fields.like] : undefined,
      });
    } catch (error) {
      const status = error instanceof PhotosortdError ? SEARCH_ERROR_STATUS[error.code] : undefined;
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
  });

  web.get('/ui/search/thumb/:id', async (c) => {
    must(c);
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) return c.text('No such thumbnail', 404);
    try {
      return thumbnailResponse(c, await (await search.open()).thumbnail(id));
    } catch (error) {
      if (error instanceof PhotosortdError && SEARCH_ERROR_STATUS[error.code]) {
        return c.text(`No thumbnail: ${error.message}`, 404);
      }
      throw error;
    }
  });
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

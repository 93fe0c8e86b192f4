import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import {
  THUMBNAIL_DEFAULTS,
  type FindRequest,
  type SearchResult,
  type SharedSearch,
  type Thumbnail,
} from '../search/index.js';
import type { ApiEnv } from './middleware.js';
import { failure, guarded, json, refusals } from './routes.js';

const PlaceSchema = z.object({
  city: z.string().nullable(),
  region: z.string().nullable(),
  country: z.string().nullable(),
  countryCode: z.string().nullable(),
});

const HitSchema = z
  .object({
    id: z.number().int(),
    path: z.string().openapi({ example: '/photos/2024/2024-06-12 Lisbon/IMG_1234.jpg' }),
    score: z.number().openapi({ example: 0.3121 }),
    takenAt: z.string().nullable(),
    place: PlaceSchema.nullable(),
    tags: z.array(z.object({ label: z.string(), score: z.number() })).nullable(),
    camera: z.string().nullable(),
    kind: z.enum(['photo', 'video', 'other']),
    thumb: z.string().openapi({ example: '/thumb/42' }),
  })
  .openapi('SearchHit');

const ResultsSchema = z.object({ results: z.array(HitSchema) }).openapi('SearchResults');

const param = (name: string, example: string | number) => ({
  param: { name, in: 'query' as const },
  example,
});

/** The filters both routes take. */
const FilterQuery = z.object({
  from: z.string().optional().openapi(param('from', '2023-06-01')),
  to: z.string().optional().openapi(param('to', '2023-08-31')),
  place: z.string().optional().openapi(param('place', 'Lisbon')),
  camera: z.string().optional().openapi(param('camera', 'iPhone')),
  kind: z.enum(['photo', 'video']).optional().openapi(param('kind', 'photo')),
  tag: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi(param('tag', 'beach')),
  folder: z.string().optional().openapi(param('folder', '2023')),
  minScore: z.coerce
    .number({ error: 'must be a number' })
    .min(-1, 'must be at least -1')
    .max(1, 'must be at most 1')
    .optional()
    .openapi(param('minScore', 0.2)),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000')
    .default(20)
    .openapi(param('limit', 20)),
  sort: z.enum(['score', 'date']).default('score').openapi(param('sort', 'score')),
});

const SearchQuerySchema = FilterQuery.extend({
  q: z.string().min(1, 'say what to search for').openapi(param('q', 'dog on the beach')),
});
const SimilarQuerySchema = FilterQuery.extend({
  path: z
    .string()
    .min(1, 'give the path of an indexed library file')
    .openapi(param('path', '/photos/2024/IMG_1.jpg')),
});

const HIT_EXAMPLE = {
  id: 42,
  path: '/photos/2023/2023-07-14 Lisbon/IMG_0101.jpg',
  score: 0.3121,
  takenAt: '2023-07-14T18:02:11+01:00',
  place: { city: 'Lisbon', region: 'Lisbon', country: 'Portugal', countryCode: 'PT' },
  tags: [{ label: 'beach', score: 0.41 }],
  camera: 'Apple iPhone 12',
  kind: 'photo',
  thumb: '/thumb/42',
};

/** What a search request may be refused with, besides the refusals of every route. */
const searchRefusals = {
  ...refusals,
  400: failure(
    'A parameter is missing or not valid',
    '--from "yesterday" is not a date; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM',
    'SEARCH_BAD_FILTER',
  ),
  404: failure(
    'A file the request names is not in the index, or none of its images decodes',
    'that photo is not in the search index; give the path of an indexed library file',
    'NOT_INDEXED',
  ),
  503: failure(
    'Search needs the tagging model, which is not usable',
    'search needs the tagging model (tagging.model): no model at /var/lib/photosortd/models/clip-vit-base-patch32',
    'SEARCH_NO_MODEL',
  ),
};

/**
 * Largest image `POST /similar` takes: a full-size JPEG or HEIC of any current camera, and
 * most RAWs. The body is held in memory while it is embedded, so it is bounded well below
 * what would strain the daemon; every other route keeps the API's 16 KiB limit.
 */
export const UPLOAD_MAX_BYTES = 50 * 2 ** 20;

/** The media types an upload may be sent as; a RAW is usually `application/octet-stream`. */
const UPLOAD_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/tiff',
  'application/octet-stream',
] as const;

/**
 * Whether a request is an image upload, the one body that is neither small nor JSON: the
 * API's `POST /similar`, or the dashboard's Search form sending a photo.
 */
export function isImageUpload(c: Context): boolean {
  return c.req.method === 'POST' && (c.req.path === '/similar' || c.req.path === '/ui/search');
}

/**
 * What every search route has: its path and names, scope `read`, and its answers (the
 * results, or why not, with the route's own `refused` answers besides).
 */
function findRoute<P extends string, R extends object = object>(
  path: P,
  names: { operationId: string; summary: string; found: string },
  refused?: R,
) {
  const { operationId, summary, found } = names;
  return {
    path,
    operationId,
    summary,
    ...guarded('read'),
    responses: {
      200: json(ResultsSchema, found, { results: [HIT_EXAMPLE] }),
      ...searchRefusals,
      ...(refused as R),
    },
  };
}

/** `GET /search`. */
const searchRoute = createRoute({
  method: 'get',
  ...findRoute('/search', {
    operationId: 'search',
    summary: 'Find library photos by what they show',
    found: 'The best matches, best first',
  }),
  request: { query: SearchQuerySchema },
});

/** `GET /similar`. */
const similarRoute = createRoute({
  method: 'get',
  ...findRoute('/similar', {
    operationId: 'findSimilar',
    summary: 'Find library photos that look like an indexed one',
    found: 'The best matches, best first, without the photo itself',
  }),
  request: { query: SimilarQuerySchema },
});

/** `POST /similar`: the photo is the body. */
const similarUploadRoute = createRoute({
  method: 'post',
  ...findRoute(
    '/similar',
    {
      operationId: 'findSimilarToImage',
      summary: 'Find library photos that look like an uploaded image',
      found: 'The best matches, best first',
    },
    {
      413: failure(
        'The image is larger than the upload limit',
        `The image is larger than ${UPLOAD_MAX_BYTES / 2 ** 20} MiB; send a smaller copy (a ` +
          'JPEG export of a few MB ranks the same)',
        'PAYLOAD_TOO_LARGE',
      ),
      415: failure(
        'The body is not sent as an image',
        'Content-Type text/plain is not an image; send the photo as the body with its type, ' +
          'e.g. image/jpeg (application/octet-stream for a RAW)',
        'UNSUPPORTED_MEDIA_TYPE',
      ),
      422: failure(
        'The body holds no image the model can read',
        'the uploaded image holds no image the model can read (not a photo, or damaged); use ' +
          'a JPEG, PNG, WebP, HEIC, TIFF or a RAW with an embedded preview',
        'SEARCH_BAD_IMAGE',
      ),
    },
  ),
  request: {
    query: FilterQuery,
    body: {
      required: true,
      description:
        `The photo's bytes (at most ${UPLOAD_MAX_BYTES / 2 ** 20} MiB) with its media type; a ` +
        'RAW goes as application/octet-stream and, like a HEIC, is read through its embedded ' +
        "preview. E.g. `curl -H 'Authorization: Bearer …' -H 'Content-Type: image/jpeg' " +
        "--data-binary @beach.jpg 'http://127.0.0.1:7717/similar?limit=10'`",
      content: Object.fromEntries(
        UPLOAD_TYPES.map((type) => [
          type,
          { schema: z.string().openapi({ format: 'binary' }), example: '(image bytes)' },
        ]),
      ),
    },
  },
});

/** `GET /thumb/{id}`. */
const thumbRoute = createRoute({
  method: 'get',
  path: '/thumb/{id}',
  operationId: 'getThumbnail',
  summary: 'A small JPEG of an indexed file',
  ...guarded('read'),
  request: {
    params: z.object({
      id: z.coerce
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .openapi({ param: { name: 'id', in: 'path' }, example: 42 }),
    }),
  },
  responses: {
    200: {
      content: {
        'image/jpeg': {
          schema: z.string().openapi({ format: 'binary' }),
          example: '(JPEG bytes)',
        },
      },
      description: `At most ${THUMBNAIL_DEFAULTS.size} px on its longest side; with an ETag`,
    },
    304: { description: 'Unchanged since the ETag given in If-None-Match' },
    ...searchRefusals,
  },
});

/**
 * The filters of a search from query parameters, with the checks the API's routes make (the
 * dashboard's Search form sends the same names); `SEARCH_BAD_FILTER` names each bad one.
 */
export function searchFilters(query: Record<string, string | string[]>): FindRequest {
  const parsed = FilterQuery.safeParse(query);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || 'filters'}: ${issue.message}`,
    );
    throw new PhotosortdError('SEARCH_BAD_FILTER', problems.join('; '));
  }
  const { tag, ...filters } = parsed.data;
  return { ...filters, tags: tagList(tag) };
}

/** `tag` once or repeated, as a list. */
function tagList(tag: string | string[] | undefined): string[] | undefined {
  return tag === undefined ? undefined : Array.isArray(tag) ? tag : [tag];
}

/** HTTP statuses of the search errors a request can cause. */
export const SEARCH_ERROR_STATUS: Readonly<Record<string, 400 | 404 | 503>> = Object.freeze({
  SEARCH_BAD_FILTER: 400,
  SEARCH_EMPTY_QUERY: 400,
  NOT_INDEXED: 404,
  THUMBNAIL_UNAVAILABLE: 404,
  SEARCH_NO_MODEL: 503,
  SEARCH_MODEL_MISMATCH: 503,
});

/** An upload's too: bytes that hold no readable image are the sender's to fix. */
export const UPLOAD_ERROR_STATUS: Readonly<Record<string, 400 | 404 | 422 | 503>> = Object.freeze({
  ...SEARCH_ERROR_STATUS,
  SEARCH_BAD_IMAGE: 422,
});

/** The results of a search with their thumbnail links, or its error as a status and body. */
async function findResults<S extends number>(
  search: SharedSearch,
  request: FindRequest & { tag?: string | string[] },
  statuses: Readonly<Record<string, S>>,
): Promise<
  | { ok: true; body: { results: (SearchResult & { thumb: string })[] } }
  | { ok: false; status: S; body: { error: string; code: string } }
> {
  const { tag, ...rest } = request;
  try {
    const results = await (await search.open()).find({ ...rest, tags: tagList(tag) });
    return {
      ok: true,
      body: { results: results.map((hit) => ({ ...hit, thumb: `/thumb/${hit.id}` })) },
    };
  } catch (error) {
    return { ok: false, ...searchFailure(error, statuses) };
  }
}

/** The media type of a request, lower case, without parameters (`''` when none). */
function mediaType(c: Context): string {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Adds `GET /search`, `GET /similar`, `POST /similar` (an uploaded photo) and
 * `GET /thumb/:id` (scope `read`), answered by the server's shared search service (opened on
 * the first request); the index is read, never embedded into, here, and no file is read but
 * an indexed one.
 */
export function mountSearchRoutes(app: OpenAPIHono<ApiEnv>, search: SharedSearch): void {
  app.openapi(searchRoute, async (c) => {
    const { q, ...filters } = c.req.valid('query');
    const found = await findResults(search, { ...filters, text: q }, SEARCH_ERROR_STATUS);
    return found.ok ? c.json(found.body, 200) : c.json(found.body, found.status);
  });
  app.openapi(similarRoute, async (c) => {
    const { path, ...filters } = c.req.valid('query');
    const found = await findResults(search, { ...filters, images: [path] }, SEARCH_ERROR_STATUS);
    return found.ok ? c.json(found.body, 200) : c.json(found.body, found.status);
  });
  app.openapi(similarUploadRoute, async (c) => {
    const type = mediaType(c);
    if (!type.startsWith('image/') && type !== 'application/octet-stream') {
      return c.json(
        {
          error:
            `Content-Type ${type || '(none)'} is not an image; send the photo as the body with ` +
            'its type, e.g. image/jpeg (application/octet-stream for a RAW)',
          code: 'UNSUPPORTED_MEDIA_TYPE',
        },
        415,
      );
    }
    const upload = new Uint8Array(await c.req.arrayBuffer());
    if (upload.length === 0) {
      return c.json(
        { error: "the request body is empty; send the photo's bytes", code: 'SEARCH_BAD_IMAGE' },
        422,
      );
    }
    const found = await findResults(
      search,
      { ...c.req.valid('query'), upload },
      UPLOAD_ERROR_STATUS,
    );
    return found.ok ? c.json(found.body, 200) : c.json(found.body, found.status);
  });
  app.openapi(thumbRoute, async (c) => {
    try {
      return thumbnailResponse(c, await (await search.open()).thumbnail(c.req.valid('param').id));
    } catch (error) {
      const failed = searchFailure(error, SEARCH_ERROR_STATUS);
      return c.json(failed.body, failed.status);
    }
  });
}

/** A thumbnail as its response: the JPEG, or 304 when the client's copy is this version. */
export function thumbnailResponse(c: Context, thumb: Thumbnail): Response {
  const headers = {
    ETag: thumb.etag,
    'Cache-Control': `private, max-age=${THUMBNAIL_DEFAULTS.maxAgeSeconds}`,
  };
  if (c.req.header('if-none-match') === thumb.etag) return c.body(null, 304, headers);
  return c.body(new Uint8Array(thumb.bytes), 200, { ...headers, 'Content-Type': 'image/jpeg' });
}

/** A search error as its status and JSON body; anything else is rethrown (a 500). */
function searchFailure<S extends number>(
  error: unknown,
  statuses: Readonly<Record<string, S>>,
): { status: S; body: { error: string; code: string } } {
  const status = error instanceof PhotosortdError ? statuses[error.code] : undefined;
  if (status === undefined) throw error;
  return { status, body: { error: errorMessage(error), code: errorCode(error) } };
}

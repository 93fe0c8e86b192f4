import { createRoute, z } from '@hono/zod-openapi';
import {
  eventsExample,
  healthExample,
  journalExample,
  metricsExample,
  statusExample,
  undoExample,
} from './examples.js';
import type { Scope } from './jwt.js';
import { requireScope } from './middleware.js';
import { PUBLIC_PATHS } from './public-paths.js';
import {
  ErrorSchema,
  HealthQuerySchema,
  HealthSchema,
  JournalQuerySchema,
  JournalSchema,
  StatusSchema,
  UndoRequestSchema,
  UndoResultSchema,
} from './schemas.js';

/** Name of the bearer security scheme in the OpenAPI document. */
export const SECURITY_SCHEME = 'bearer';

/** A JSON response with the example the document shows for it. */
export const json = <T extends z.ZodType>(schema: T, description: string, example: unknown) => ({
  content: { 'application/json': { schema, example } },
  description,
});

/** An error response: its description, and an example of the sentence and code it carries. */
export const failure = (description: string, error: string, code: string) =>
  json(ErrorSchema, description, { error, code });

/** A text response (event stream, metrics) with an example of its text. */
const text = (type: string, description: string, example: string) => ({
  content: { [type]: { schema: z.string(), example } },
  description,
});

/** What any route may answer before it runs: the Host check applies to every request. */
const misdirected = {
  421: failure(
    'The Host header names a host this daemon does not answer to',
    'This daemon does not answer to the host name "photos.example.net". Reach it as 127.0.0.1 ' +
      'or localhost, or add the name to api.allowedHosts in the configuration',
    'MISDIRECTED',
  ),
};

export const refusals = {
  ...misdirected,
  401: failure(
    'Missing, unknown, expired or badly signed token',
    'Unauthorized: no token. Send "Authorization: Bearer <token>" with the key from ' +
      '<state>/api-key, a key listed in api.keys, or a JWT from `photosortd token create`',
    'UNAUTHORIZED',
  ),
  403: failure(
    'The token lacks the scope this route needs',
    'Forbidden: POST /pause needs scope "admin" and the token "grafana" has "read"',
    'FORBIDDEN',
  ),
  429: failure(
    'Over the rate limit; see the Retry-After header',
    'Too many requests; try again in 4 s',
    'RATE_LIMITED',
  ),
};

/** The scope each route needs, stated once and used for both checking and documenting. */
export function guarded(scope: Scope) {
  return {
    middleware: [requireScope(scope)],
    security: [{ [SECURITY_SCHEME]: [] }],
    description: `Needs a token with scope \`${scope}\`${scope === 'read' ? ' or `admin`' : ''}.`,
  };
}

/** A route that needs no token (its path is in `PUBLIC_PATHS`), said so in the document. */
function open(path: string) {
  if (!PUBLIC_PATHS.has(path)) throw new Error(`${path} is documented as public but is not`);
  return { path, security: [], description: 'Needs no token.' };
}

/** `GET /health`: liveness, and with `?challenge=` proof of which daemon this is; no token. */
export const healthRoute = createRoute({
  method: 'get',
  ...open('/health'),
  operationId: 'getHealth',
  summary: 'Is the daemon up (and is it the one of my state folder)',
  request: { query: HealthQuerySchema },
  responses: { 200: json(HealthSchema, 'The daemon is up', healthExample), ...misdirected },
});

/** `GET /status`. */
export const statusRoute = createRoute({
  method: 'get',
  path: '/status',
  operationId: 'getStatus',
  summary: 'State, queue and counters',
  ...guarded('read'),
  responses: { 200: json(StatusSchema, 'The daemon status', statusExample), ...refusals },
});

/** `POST /pause`. */
export const pauseRoute = createRoute({
  method: 'post',
  path: '/pause',
  operationId: 'pause',
  summary: 'Stop taking new files; files in flight finish',
  ...guarded('admin'),
  responses: {
    200: json(StatusSchema, 'The status after pausing', { ...statusExample, state: 'paused' }),
    ...refusals,
  },
});

/** `POST /resume`. */
export const resumeRoute = createRoute({
  method: 'post',
  path: '/resume',
  operationId: 'resume',
  summary: 'Take files again, including those that arrived while paused',
  ...guarded('admin'),
  responses: { 200: json(StatusSchema, 'The status after resuming', statusExample), ...refusals },
});

/** `POST /undo`. */
export const undoRoute = createRoute({
  method: 'post',
  path: '/undo',
  operationId: 'undo',
  summary: 'Put filed files back where they came from',
  ...guarded('admin'),
  request: {
    body: { content: { 'application/json': { schema: UndoRequestSchema } }, required: true },
  },
  responses: {
    200: json(UndoResultSchema, 'What was put back and what was refused', undoExample),
    400: failure(
      'The body is not valid JSON or not a valid undo request',
      'last: must be at least 1',
      'BAD_REQUEST',
    ),
    409: failure(
      'The daemon refused the undo as a whole',
      'Could not write the journal /var/lib/photosortd/journal.sqlite to disk (ENOSPC: no ' +
        'space left on device), so IMG_1234.jpg was left where it is. Check the disk that ' +
        'holds the state folder.',
      'JOURNAL_UNAVAILABLE',
    ),
    413: failure(
      'The body is larger than the API accepts',
      'Request body is larger than 16384 bytes; the API takes small JSON objects',
      'PAYLOAD_TOO_LARGE',
    ),
    ...refusals,
  },
});

/** `GET /journal?limit=N`. */
export const journalRoute = createRoute({
  method: 'get',
  path: '/journal',
  operationId: 'getJournal',
  summary: 'Recent file operations, newest first',
  ...guarded('read'),
  request: { query: JournalQuerySchema },
  responses: {
    200: json(JournalSchema, 'Journal rows, newest first', journalExample),
    400: failure(
      'limit is not a whole number from 1 to 10000',
      'limit: must be at most 10000',
      'BAD_REQUEST',
    ),
    ...refusals,
  },
});

/** `GET /events`. */
export const eventsRoute = createRoute({
  method: 'get',
  path: '/events',
  operationId: 'streamEvents',
  summary: 'Live events as server-sent events',
  ...guarded('read'),
  responses: {
    200: text(
      'text/event-stream',
      'One `file` event per file handled, and `paused`, `resumed` and `undo` events; ' +
        'each `data` line is the event as JSON. A comment line every 15 s keeps proxies open.',
      eventsExample,
    ),
    ...refusals,
  },
});

/** `GET /metrics`. */
export const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  summary: 'Prometheus metrics',
  ...guarded('read'),
  responses: {
    200: text('text/plain', 'Prometheus text exposition format, version 0.0.4', metricsExample),
    ...refusals,
  },
});

import { createRoute, z } from '@hono/zod-openapi';
import type { Scope } from './jwt.js';
import { requireScope } from './middleware.js';
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

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const refusals = {
  401: json(ErrorSchema, 'Missing, unknown, expired or badly signed token'),
  403: json(ErrorSchema, 'The token lacks the scope this route needs'),
  429: json(ErrorSchema, 'Over the rate limit; see the Retry-After header'),
};

/** The scope each route needs, stated once and used for both checking and documenting. */
function guarded(scope: Scope) {
  return {
    middleware: [requireScope(scope)],
    security: [{ [SECURITY_SCHEME]: [] }],
    description: `Needs a token with scope \`${scope}\`${scope === 'read' ? ' or `admin`' : ''}.`,
  };
}

/** `GET /health`: liveness, and with `?challenge=` proof of which daemon this is; no token. */
export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Is the daemon up (and is it the one of my state folder)',
  request: { query: HealthQuerySchema },
  responses: { 200: json(HealthSchema, 'The daemon is up') },
});

/** `GET /status`. */
export const statusRoute = createRoute({
  method: 'get',
  path: '/status',
  summary: 'State, queue and counters',
  ...guarded('read'),
  responses: { 200: json(StatusSchema, 'The daemon status'), ...refusals },
});

/** `POST /pause`. */
export const pauseRoute = createRoute({
  method: 'post',
  path: '/pause',
  summary: 'Stop taking new files; files in flight finish',
  ...guarded('admin'),
  responses: { 200: json(StatusSchema, 'The status after pausing'), ...refusals },
});

/** `POST /resume`. */
export const resumeRoute = createRoute({
  method: 'post',
  path: '/resume',
  summary: 'Take files again, including those that arrived while paused',
  ...guarded('admin'),
  responses: { 200: json(StatusSchema, 'The status after resuming'), ...refusals },
});

/** `POST /undo`. */
export const undoRoute = createRoute({
  method: 'post',
  path: '/undo',
  summary: 'Put filed files back where they came from',
  ...guarded('admin'),
  request: {
    body: { content: { 'application/json': { schema: UndoRequestSchema } }, required: true },
  },
  responses: {
    200: json(UndoResultSchema, 'What was put back and what was refused'),
    400: json(ErrorSchema, 'The body is not valid JSON or not a valid undo request'),
    409: json(ErrorSchema, 'The daemon refused the undo as a whole'),
    413: json(ErrorSchema, 'The body is larger than the API accepts'),
    ...refusals,
  },
});

/** `GET /journal?limit=N`. */
export const journalRoute = createRoute({
  method: 'get',
  path: '/journal',
  summary: 'Recent file operations, newest first',
  ...guarded('read'),
  request: { query: JournalQuerySchema },
  responses: {
    200: json(JournalSchema, 'Journal rows, newest first'),
    400: json(ErrorSchema, 'limit is not a whole number from 1 to 10000'),
    ...refusals,
  },
});

/** `GET /events`. */
export const eventsRoute = createRoute({
  method: 'get',
  path: '/events',
  summary: 'Live events as server-sent events',
  ...guarded('read'),
  responses: {
    200: {
      content: { 'text/event-stream': { schema: z.string() } },
      description:
        'One `file` event per file handled, and `paused`, `resumed` and `undo` events; ' +
        'each `data` line is the event as JSON. A comment line every 15 s keeps proxies open.',
    },
    ...refusals,
  },
});

/** `GET /metrics`. */
export const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics',
  ...guarded('read'),
  responses: {
    200: {
      content: { 'text/plain': { schema: z.string() } },
      description: 'Prometheus text exposition format, version 0.0.4',
    },
    ...refusals,
  },
});

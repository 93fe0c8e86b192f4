import { z } from '@hono/zod-openapi';

/**
 * The API's request and response shapes. They validate requests and describe responses, and
 * the OpenAPI document is generated from them, so the document cannot drift from the code.
 */

/** Every error response: a sentence for a person, and a stable code for a program. */
export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: 'last: must be at least 1' }),
    code: z.string().optional().openapi({ example: 'BAD_REQUEST' }),
  })
  .openapi('Error');

/** Liveness, and what holds filing back; no paths, as it needs no token. */
export const HealthSchema = z
  .object({
    ok: z.literal(true),
    library: z.enum(['present', 'unavailable']),
    inboxes: z.object({ watching: z.number().int(), missing: z.number().int() }),
    pid: z.number().int().optional().openapi({ description: 'The daemon process, when asked' }),
    proof: z.string().optional().openapi({
      description: "HMAC-SHA256 of the challenge under the secret in the daemon's daemon.json",
    }),
  })
  .openapi('Health');

export const HealthQuerySchema = z.object({
  challenge: z.string().min(8).max(128).optional().openapi({
    description: 'Random text; the daemon answers with a proof that it owns its state folder',
  }),
});

export const StatusSchema = z
  .object({
    state: z.enum(['running', 'paused']),
    queue: z.object({ waiting: z.number().int(), active: z.number().int() }),
    processed: z.number().int(),
    failed: z.number().int(),
    handled: z
      .object({
        move: z.number().int(),
        unsorted: z.number().int(),
        duplicate: z.number().int(),
        skip: z.number().int(),
        error: z.number().int(),
      })
      .openapi({ description: 'files handled since start, by the action taken' }),
    startedAt: z.string().openapi({ example: '2024-06-12T18:30:00.000Z' }),
    version: z.string(),
    inboxes: z.array(
      z.object({ path: z.string(), watching: z.boolean(), problem: z.string().optional() }),
    ),
    library: z.string(),
    libraryState: z.object({ present: z.boolean(), problem: z.string().optional() }),
    tagging: z.object({ enabled: z.boolean(), reason: z.string().optional() }),
    geocode: z.object({
      enabled: z.boolean(),
      provider: z.string().optional(),
      reason: z.string().optional(),
    }),
    journal: z.object({
      operations: z.number().int().openapi({ example: 1520 }),
      bytes: z.number().int().openapi({ example: 1_245_184 }),
    }),
    lastFiledAt: z.string().nullable().openapi({ example: '2024-06-12T18:31:02.114Z' }),
    holding: z.object({
      count: z.number().int(),
      files: z.array(z.object({ source: z.string(), reason: z.string() })),
    }),
    waiting: z.object({
      queued: z.number().int(),
      paused: z.number().int(),
      'library-missing': z.number().int(),
      'being-written': z.number().int(),
      'put-back-by-undo': z.number().int(),
      'left-by-rules': z.number().int(),
    }),
    cluster: z
      .object({
        redis: z.string().openapi({ example: 'redis://***:***@nas.local:6379/0' }),
        reachable: z.boolean(),
        error: z.string().optional(),
        workers: z.array(z.string()).openapi({ example: ['desktop:4242'] }),
        waiting: z.number().int(),
        active: z.number().int(),
        done: z.record(z.string(), z.number().int()).openapi({
          example: { 'desktop:4242': 1200, 'this machine': 3 },
        }),
      })
      .optional()
      .openapi({ description: 'Only with `cluster` in the configuration.' }),
  })
  .openapi('Status');

/** Messages name no field: the validation hook puts the field's path in front of them. */
const positiveInt = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1');

/** `POST /undo`: exactly one of `last`, `batch`, `all`. */
export const UndoRequestSchema = z
  .strictObject({
    last: positiveInt.optional().openapi({ example: 50 }),
    batch: z.string().min(1, 'must name a batch id').optional(),
    all: z.literal(true, { error: 'must be true when given' }).optional(),
    force: z.boolean({ error: 'must be true or false' }).optional(),
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((body, ctx) => {
    const given = (['last', 'batch', 'all'] as const).filter((key) => body[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length === 0 ? [] : [given[1] ?? 'last'],
        message:
          given.length === 0
            ? 'say what to undo: {"last": N}, {"batch": "ID"} or {"all": true}'
            : `give only one of last, batch and all (got ${given.join(' and ')})`,
      });
    }
  })
  .openapi('UndoRequest');

const UndoItemSchema = z.object({
  id: z.number().int(),
  from: z.string(),
  to: z.string(),
  reason: z.string().optional(),
});

export const UndoResultSchema = z
  .object({
    batch: z.string().nullable().openapi({ description: 'null for a dry run: nothing journaled' }),
    dryRun: z.boolean(),
    undone: z.array(UndoItemSchema).openapi({ description: 'put back, or would be in a dry run' }),
    refused: z.array(UndoItemSchema),
  })
  .openapi('UndoResult');

export const JournalQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(10_000, 'must be at most 10000')
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
});

const actionSchema = z.enum(['move', 'unsorted', 'duplicate', 'skip', 'error']);

const JournalEntrySchema = z
  .object({
    id: z.number().int(),
    batch: z.string(),
    op: z.enum(['move', 'undo', 'delete', 'create', 'rewrite']),
    status: z.enum(['planned', 'done', 'failed', 'undone']),
    source: z.string(),
    target: z.string().nullable(),
    hash: z.string().nullable().openapi({
      description:
        'SHA-256 of the content moved; null for a file filed by hard link without being read (its inode identifies it)',
    }),
    size: z.number(),
    action: actionSchema.nullable(),
    rule: z.string().nullable(),
    undoes: z.number().int().nullable(),
    group: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('JournalEntry');

export const JournalSchema = z.array(JournalEntrySchema).openapi('Journal');

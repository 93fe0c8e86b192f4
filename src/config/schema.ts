import { z } from 'zod';
import { parseDuration } from '../lib/duration.js';

/**
 * The configuration file's schema. The keys are a contract (DESIGN.md): users and tests
 * write them, so every object is strict and an unknown key is an error that names it.
 */

const templateString = z
  .string()
  .min(1, 'must be a path template such as "{year}/{date}/{name}{ext}"');

/** Conditions of a rule; all given conditions must hold. Lists match any of their items. */
const ruleWhenSchema = z.strictObject({
  kind: z.union([z.enum(['photo', 'video']), z.array(z.enum(['photo', 'video']))]).optional(),
  /** Extensions with or without the dot, compared case-insensitively. */
  ext: z.union([z.string(), z.array(z.string())]).optional(),
  /** Substring of "make model", case-insensitive. */
  camera: z.union([z.string(), z.array(z.string())]).optional(),
  /** Country code, country or city, case-insensitive. */
  place: z.union([z.string(), z.array(z.string())]).optional(),
  /** AI tags, any of which must be present. */
  tags: z.array(z.string()).optional(),
  /** Glob on the file name (picomatch), case-insensitive. */
  name: z.union([z.string(), z.array(z.string())]).optional(),
});

const ruleSchema = z.strictObject({
  name: z.string().min(1),
  when: ruleWhenSchema.optional(),
  to: templateString,
});

const inboxSchema = z.strictObject({
  path: z.string().min(1),
  poll: z.boolean().default(false),
});

const dateSourceSchema = z.enum(['exif', 'filename', 'mtime']);

const metadataReaderSchema = z.enum(['auto', 'exiftool']);

const apiKeySchema = z.strictObject({
  name: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be the SHA-256 of the key, 64 hex digits'),
  scope: z.enum(['read', 'admin']),
});

export const configSchema = z.strictObject({
  library: z.string().min(1),
  inboxes: z
    .array(
      z.union([
        z
          .string()
          .min(1)
          .transform((path) => ({ path, poll: false })),
        inboxSchema,
      ]),
    )
    .min(1, 'needs at least one inbox'),
  state: z.string().min(1).optional(),
  /**
   * Make the library folder when it does not exist. Off by default: a missing library is
   * usually an unmounted disk, and filing into its empty mount point would hide the photos.
   */
  createLibrary: z.boolean().default(false),
  concurrency: z.number().int().min(1).max(256).default(256),
  settle: z.number().int().min(0).max(600_000).default(1000),
  /**
   * How long (ms) the daemon watches a file it just filed for a writer still writing into
   * it; absent: five times `settle`, at least 5 s. 0 turns the watch off.
   */
  watchFiled: z.number().int().min(0).max(3_600_000).optional(),
  dates: z
    .strictObject({
      from: z.array(dateSourceSchema).min(1).default(['exif', 'filename', 'mtime']),
    })
    .default({ from: ['exif', 'filename', 'mtime'] }),
  /**
   * Who reads the files' tags: `auto` reads common formats (JPEG, TIFF, PNG, WebP) in-process, exactly as
   * exiftool would, and leaves the rest to exiftool; `exiftool` sends every file to exiftool.
   */
  metadata: z
    .strictObject({ reader: metadataReaderSchema.default('auto') })
    .default({ reader: 'auto' }),
  rules: z
    .array(ruleSchema)
    .min(1)
    .default([{ name: 'default', to: '{year}/{date}/{name}{ext}' }]),
  unsorted: templateString.default('Unsorted/{name}{ext}'),
  /**
   * Files that are neither photos, videos nor their sidecars (PDFs, zips, `Thumbs.db`, a
   * camera's `.CTG`): left where they are, or sent to this template.
   */
  nonMedia: z.union([z.literal('leave'), templateString]).default('leave'),
  /** Extra globs (picomatch, on the file name) of files still being written by some tool. */
  inProgress: z.array(z.string().min(1)).default([]),
  onCollision: z.enum(['suffix', 'skip']).default('suffix'),
  duplicates: z.union([z.enum(['skip', 'delete']), templateString]).default('skip'),
  geocode: z
    .strictObject({
      enabled: z.boolean().default(true),
      provider: z.enum(['geonames', 'exiftool']).optional(),
    })
    .default({ enabled: true }),
  tagging: z
    .strictObject({
      enabled: z.boolean().default(false),
      model: z.string().default('./models/clip-vit-base-patch32'),
      labels: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]).optional(),
      prompt: z.string().default('a photo of {}'),
      minScore: z.number().min(0).max(1).default(0.2),
      maxTags: z.number().int().min(0).max(50).default(5),
      write: z.enum(['sidecar', 'embed', 'none']).default('sidecar'),
    })
    .default({
      enabled: false,
      model: './models/clip-vit-base-patch32',
      prompt: 'a photo of {}',
      minScore: 0.2,
      maxTags: 5,
      write: 'sidecar',
    }),
  api: z
    .strictObject({
      enabled: z.boolean().default(true),
      listen: z.string().default('127.0.0.1:7717'),
      /**
       * The reverse proxy that terminates TLS in front of a non-loopback `listen`, e.g.
       * "caddy on https://photos.example:443"; without it such a listen logs a warning.
       */
      tlsProxy: z.string().min(1).optional(),
      keys: z.array(apiKeySchema).default([]),
      jwt: z
        .strictObject({
          /** The HS256 secret, or `env:NAME` to read it from the daemon's environment. */
          secret: z.string().min(1),
          /**
           * Longest lifetime (`exp` − `iat`) of a token the daemon accepts: a leaked token
           * must not work for years. 30 days covers a monthly script rotation.
           */
          maxLifetime: z
            .string()
            .refine(
              (text) => parseDuration(text) !== null,
              'must be a duration such as 1h, 7d or 30d',
            )
            .default('30d'),
          /** When set, tokens must carry this `iss` (another minter, e.g. an SSO service). */
          issuer: z.string().min(1).optional(),
          /** When set, tokens must name this `aud`. */
          audience: z.string().min(1).optional(),
        })
        .optional(),
      rateLimit: z
        .strictObject({ perMinute: z.number().int().min(1).default(120) })
        .default({ perMinute: 120 }),
      /**
       * Host names besides loopback and the listen address that the API and its dashboard
       * answer to (a request naming any other host is refused, against DNS rebinding).
       */
      allowedHosts: z.array(z.string().min(1)).default([]),
    })
    .default({
      enabled: true,
      listen: '127.0.0.1:7717',
      keys: [],
      rateLimit: { perMinute: 120 },
      allowedHosts: [],
    }),
  /**
   * Model work and caches shared through Redis (src/cluster). Absent: everything runs in
   * this process and no Redis code is loaded.
   */
  cluster: z
    .strictObject({
      /** `redis://[user:pass@]host:port/db`, `rediss://` for TLS, or `env:NAME`. */
      redis: z.string().min(1),
      /**
       * How long an image's model work may wait for a worker before this process does it
       * itself (ms). Long enough for a busy worker, short enough that filing does not stall
       * for long when every worker is gone.
       */
      timeoutMs: z.number().int().min(100).max(3_600_000).default(20_000),
      /**
       * What happens to an image no worker answered in time (or while Redis is away):
       * `local` runs the model here, so filing never waits; `wait` puts it on the queue
       * again until a worker answers, for a machine that should not run the model at all.
       */
      fallback: z.enum(['local', 'wait']).default('local'),
    })
    .optional(),
  log: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info') })
    .default({ level: 'info' }),
  dryRun: z.boolean().default(false),
});

/** The configuration after defaults, before paths are resolved. */
export type ParsedConfig = z.output<typeof configSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type RuleWhen = z.output<typeof ruleWhenSchema>;
/** Where a capture date may come from; `exif` means every date embedded in the file. */
export type DateSource = z.output<typeof dateSourceSchema>;
/** Who reads files' tags: the in-process reader where it can (`auto`), or always exiftool. */
export type MetadataReader = z.output<typeof metadataReaderSchema>;

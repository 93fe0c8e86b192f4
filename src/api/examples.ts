/**
 * Example bodies of the API's responses, shown in the OpenAPI document. The linter checks
 * each against its schema (`no-invalid-media-type-examples`), so a schema change that leaves
 * an example behind fails `npm test` instead of misleading a client's author.
 */

const FILED = {
  id: 1520,
  batch: 'b-20240612-1830-3f9a',
  op: 'move',
  status: 'done',
  source: '/home/ana/Pictures/inbox/IMG_1234.jpg',
  target: '/home/ana/Pictures/library/2024/2024-06-12 Lisbon/IMG_1234.jpg',
  hash: '9f2b5c0d3e8a41f6b7c2d9e0a1b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5',
  size: 3_604_113,
  action: 'move',
  rule: 'default',
  undoes: null,
  group: null,
  createdAt: '2024-06-12T18:31:02.101Z',
  finishedAt: '2024-06-12T18:31:02.114Z',
  error: null,
  details: null,
} as const;

/** `GET /health`. */
export const healthExample = {
  ok: true,
  library: 'present',
  inboxes: { watching: 1, missing: 0 },
} as const;

/** `GET /status`, `POST /pause`, `POST /resume`. */
export const statusExample = {
  state: 'running',
  queue: { waiting: 4, active: 2 },
  processed: 1520,
  failed: 3,
  handled: { move: 1490, unsorted: 12, duplicate: 15, skip: 0, error: 3 },
  startedAt: '2024-06-12T08:00:00.000Z',
  version: '0.1.0',
  inboxes: [{ path: '/home/ana/Pictures/inbox', watching: true }],
  library: '/home/ana/Pictures/library',
  libraryState: { present: true },
  tagging: { enabled: false, reason: 'tagging.enabled is false in the configuration' },
  geocode: { enabled: true, provider: 'geonames' },
  journal: { operations: 1520, bytes: 1_245_184 },
  lastFiledAt: '2024-06-12T18:31:02.114Z',
  holding: {
    count: 1,
    files: [
      {
        source: '/home/ana/Pictures/inbox/IMG_1240.jpg',
        reason: 'still being written by another program; taken again once it is complete',
      },
    ],
  },
  waiting: {
    queued: 4,
    paused: 0,
    'library-missing': 0,
    'being-written': 1,
    'put-back-by-undo': 0,
    'left-by-rules': 0,
  },
} as const;

/** `POST /undo`. */
export const undoExample = {
  batch: 'u-20240612-1902-77c1',
  dryRun: false,
  undone: [{ id: FILED.id, from: FILED.target, to: FILED.source }],
  refused: [
    {
      id: 1519,
      from: '/home/ana/Pictures/library/2024/2024-06-12 Lisbon/IMG_1233.jpg',
      to: '/home/ana/Pictures/inbox/IMG_1233.jpg',
      reason: 'changed since it was filed (its content no longer matches the journal)',
    },
  ],
} as const;

/** `GET /journal`. */
export const journalExample = [FILED] as const;

/** `GET /events`: one event as the stream sends it. */
export const eventsExample =
  'event: file\n' +
  'data: {"type":"file","at":"2024-06-12T18:31:02.120Z","source":"/home/ana/Pictures/inbox/IMG_1234.jpg",' +
  '"target":"/home/ana/Pictures/library/2024/2024-06-12 Lisbon/IMG_1234.jpg","action":"move",' +
  '"rule":"default","takenAt":"2024-06-12T18:30:00+01:00","dateSource":"ExifIFD:DateTimeOriginal",' +
  '"place":null,"tags":null,"error":null,"durations":{"identify":2,"exif":9,"plan":0,"move":4}}\n\n';

/** `GET /metrics`: the start of a scrape. */
export const metricsExample =
  '# HELP photosortd_files_total Files handled, by the action taken.\n' +
  '# TYPE photosortd_files_total counter\n' +
  'photosortd_files_total{action="move"} 1517\n';

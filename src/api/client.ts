import type { Config } from '../config/load.js';
import type { ControlEvent } from '../daemon/control.js';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import { clientUrl, parseListen } from './listen.js';
import type { paths } from './openapi-types.js';
import { PUBLIC_PATHS } from './public-paths.js';

/**
 * The JSON body route `P` answers `M` with on success, as the API's OpenAPI document
 * describes it (src/api/openapi-types.ts is generated from the document the server serves),
 * so that a route change that breaks the CLI fails the type check.
 */
type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

/** The JSON body route `P` takes with `M`. */
type Request<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** `GET /status` (also what pause and resume answer). */
export type StatusAnswer = Answer<'/status', 'get'>;
/** `POST /undo`'s body and answer. */
export type UndoRequest = Request<'/undo', 'post'>;
export type UndoAnswer = Answer<'/undo', 'post'>;
/** `GET /journal`. */
export type JournalAnswer = Answer<'/journal', 'get'>;

/** Requests other than undo and the event stream give up after this long. */
const REQUEST_TIMEOUT_MS = 30_000;

/** `/health` answers at once; a process that does not is not a working daemon. */
const IDENTIFY_TIMEOUT_MS = 5_000;

/** Nothing listens at the API's address: the daemon is not running (or listens elsewhere). */
export class DaemonNotRunningError extends PhotosortdError {
  constructor(readonly url: string) {
    super(
      'DAEMON_NOT_RUNNING',
      `photosortd is not running at ${url} (start it with \`photosortd run\`)`,
    );
    this.name = 'DaemonNotRunningError';
  }
}

/** The API answered with an error status; `message` is its `error` sentence. */
export class ApiResponseError extends PhotosortdError {
  constructor(
    readonly status: number,
    message: string,
    code: string,
  ) {
    super(code, message);
    this.name = 'ApiResponseError';
  }
}

/** The base URL of the API a config describes, as a client on this machine reaches it. */
export function apiUrl(config: Config): string {
  return clientUrl(parseListen(config.api.listen));
}

/**
 * A small typed client for the control API, used by the CLI and handy in tests that drive a
 * running daemon: `new ApiClient(server.url, key).pause()`.
 */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | null,
  ) {}

  /** `GET /health` → true when the daemon answers. Never carries the token. */
  async health(): Promise<boolean> {
    const body = await this.request<Answer<'/health', 'get'>>('GET', '/health');
    return body.ok;
  }

  /**
   * `GET /health?challenge=C`: the answering process's pid and its proof of the secret in
   * `daemon.json` (see `instance.ts`); both absent when it is not a photosortd that knows one.
   */
  identify(challenge: string): Promise<{ ok?: unknown; pid?: unknown; proof?: unknown }> {
    return this.request(
      'GET',
      `/health?challenge=${encodeURIComponent(challenge)}`,
      undefined,
      IDENTIFY_TIMEOUT_MS,
    );
  }

  /** `GET /status`. */
  status(): Promise<StatusAnswer> {
    return this.request('GET', '/status');
  }

  /** `POST /pause`: the status after pausing. */
  pause(): Promise<Answer<'/pause', 'post'>> {
    return this.request('POST', '/pause');
  }

  /** `POST /resume`: the status after resuming. */
  resume(): Promise<Answer<'/resume', 'post'>> {
    return this.request('POST', '/resume');
  }

  /**
   * `POST /undo`: what to undo (`last`, `batch`, `all` or `ids`) with `force`/`dryRun`. No
   * timeout: undoing many files across filesystems takes a while.
   */
  undo(
    selector: Omit<UndoRequest, 'force' | 'dryRun'>,
    options: Pick<UndoRequest, 'force' | 'dryRun'> = {},
  ): Promise<UndoAnswer> {
    const body: UndoRequest = { ...selector, ...options };
    return this.request('POST', '/undo', body, null);
  }

  /** `GET /journal?limit=N`: newest first. */
  journal(limit: number): Promise<JournalAnswer> {
    return this.request('GET', `/journal?limit=${encodeURIComponent(String(limit))}`);
  }

  /** `GET /metrics`: Prometheus text. */
  async metrics(): Promise<string> {
    const response = await this.send('GET', '/metrics', undefined, REQUEST_TIMEOUT_MS);
    return response.text();
  }

  /**
   * `GET /events` as an async iterable of parsed events; ends when `signal` aborts or the
   * daemon closes the stream.
   */
  async *events(signal?: AbortSignal): AsyncGenerator<ControlEvent> {
    const response = await this.send('GET', '/events', undefined, null, signal);
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data !== '') yield JSON.parse(data) as ControlEvent;
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  /** Sends a request and returns the parsed JSON body, or throws a readable error. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs: number | null = REQUEST_TIMEOUT_MS,
  ): Promise<T> {
    const response = await this.send(method, path, body, timeoutMs);
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number | null,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const url = new URL(path, this.url);
    if (this.token && !PUBLIC_PATHS.has(url.pathname)) {
      headers.authorization = `Bearer ${this.token}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signals = [signal, timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs)];
    const active = signals.filter((s): s is AbortSignal => s !== undefined);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: active.length > 0 ? AbortSignal.any(active) : undefined,
      });
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      if (errorCode(cause) === 'ECONNREFUSED') throw new DaemonNotRunningError(this.url);
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new PhotosortdError(
          'API_TIMEOUT',
          `photosortd at ${this.url} did not answer ${method} ${path} within ${(timeoutMs ?? 0) / 1000} s`,
          { cause: error },
        );
      }
      if (signal?.aborted) throw error;
      throw new PhotosortdError(
        'API_UNREACHABLE',
        `Cannot reach photosortd at ${this.url}: ${errorMessage(cause ?? error)}`,
        { cause: error },
      );
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text.trim() || response.statusText;
      let code = `HTTP_${response.status}`;
      try {
        const parsed = JSON.parse(text) as { error?: unknown; code?: unknown };
        if (typeof parsed.error === 'string') message = parsed.error;
        if (typeof parsed.code === 'string') code = parsed.code;
      } catch {
        // Not JSON (a proxy's error page, say): the raw text is the best message there is.
      }
      throw new ApiResponseError(response.status, message, code);
    }
    return response;
  }
}

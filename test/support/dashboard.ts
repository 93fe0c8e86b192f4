import { request } from 'node:http';
import { afterEach } from 'vitest';
import { hashApiKey } from '../../src/api/api-key.js';
import { startApiServer, Metrics, type ApiServer } from '../../src/api/index.js';
import { launchDaemon } from '../../src/app/launch.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/lib/logger.js';
import { projectConfig } from './daemon-project.js';
import type { Project } from './project.js';

/** The admin and read-only keys a dashboard world accepts. */
export const ADMIN_KEY = 'dashboard-admin-key-0123456789abcdef0123456789abcdef';
export const READ_KEY = 'dashboard-read-key-0123456789abcdef0123456789abcdef';

/** A real daemon with the real API server (and its dashboard) on a random loopback port. */
export interface DashboardWorld extends Project {
  daemon: Daemon;
  server: ApiServer;
  /** `http://127.0.0.1:PORT` */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a project's daemon and API with the dashboard, as `photosortd run` wires them;
 * `config` overrides or adds keys of the project's configuration.
 */
export async function dashboardWorld(
  config: Record<string, unknown> = {},
): Promise<DashboardWorld> {
  const p = await projectConfig(
    {
      settle: 300,
      concurrency: 2,
      ...config,
      api: {
        listen: '127.0.0.1:0',
        keys: [
          { name: 'admin', sha256: hashApiKey(ADMIN_KEY), scope: 'admin' },
          { name: 'viewer', sha256: hashApiKey(READ_KEY), scope: 'read' },
        ],
        ...((config.api as object | undefined) ?? {}),
      },
    },
    'photosortd-dashboard-',
  );
  const logger = silentLogger();
  const daemon = await launchDaemon(p.loaded, logger);
  let server: ApiServer;
  try {
    server = await startApiServer({
      config: p.loaded,
      control: daemon,
      dashboard: daemon,
      logger,
      metrics: new Metrics(),
    });
  } catch (error) {
    await daemon.stop(10_000);
    throw error;
  }
  return {
    ...p,
    daemon,
    server,
    url: server.url,
    async stop() {
      await server.close();
      await daemon.stop(10_000);
    },
  };
}

/**
 * A starter of dashboard worlds for one suite: each world it starts is stopped after the
 * test that started it.
 */
export function dashboardWorlds(): (config?: Record<string, unknown>) => Promise<DashboardWorld> {
  const started: DashboardWorld[] = [];
  afterEach(async () => {
    for (const world of started.splice(0)) await world.stop();
  });
  return async (config) => {
    const world = await dashboardWorld(config);
    started.push(world);
    return world;
  };
}

/** A browser-like HTTP client that keeps cookies, for the dashboard's HTTP-level tests. */
export class CookieClient {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  /** Sends a request with the cookies held; stores the ones set. Redirects are not followed. */
  async send(
    path: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      /** A form with files, sent as `multipart/form-data` (as a file field sends it). */
      multipart?: FormData;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | Buffer | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (init.multipart) {
      const encoded = new Response(init.multipart);
      body = Buffer.from(await encoded.arrayBuffer());
      headers['content-type'] = encoded.headers.get('content-type')!;
    }
    const response = await httpRequest(new URL(path, this.base), {
      method: init.method ?? (init.form || init.multipart ? 'POST' : 'GET'),
      headers,
      body,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (!pair || at < 0) continue;
      const value = pair.slice(at + 1);
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(pair.slice(0, at));
      else this.cookies.set(pair.slice(0, at), value);
    }
    return response;
  }

  /** Logs in through the form as a browser does; returns the POST's response. */
  async login(token: string, headers: Record<string, string> = {}): Promise<Response> {
    const form = await (await this.send('/login')).text();
    const nonce = /name="nonce" value="([^"]+)"/.exec(form)?.[1] ?? '';
    return this.send('/login', { form: { nonce, token }, headers });
  }

  /** The CSRF token of the session, read from a page as the dashboard's script does. */
  async csrf(): Promise<string> {
    const html = await (await this.send('/')).text();
    const token = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error('no CSRF token on the Now page: not logged in?');
    return token;
  }

  /** Sets a cookie by hand, as a forger would. */
  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }
}

/**
 * One HTTP request with node:http, not fetch: fetch may not set `Host`, and the Host check
 * is what some tests are about. Redirects are not followed.
 */
function httpRequest(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | Buffer },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const one of Array.isArray(value) ? value : [value ?? '']) headers.append(name, one);
        }
        const status = res.statusCode ?? 0;
        const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers }));
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

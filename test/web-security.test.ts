import { describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/index.js';
import { mintToken } from '../src/api/jwt.js';
import { ADMIN_KEY, CookieClient, READ_KEY, dashboardWorlds } from './support/dashboard.js';

/**
 * The dashboard's security rules over real HTTP against a real daemon: sessions, CSRF,
 * Origin, Host (DNS rebinding), CSP, scopes, and the bearer API left as it was.
 */

const world = dashboardWorlds();

function setCookieOf(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie set`);
  return line;
}

describe('dashboard login', () => {
  it('sends a visitor without a session to the login form, served with a strict CSP', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    const home = await browser.send('/');
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/login');

    const login = await browser.send('/login');
    expect(login.status).toBe(200);
    const html = await login.text();
    expect(html).toContain('name="token"');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const csp = login.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('opens an HttpOnly, SameSite=Strict, signed, expiring session for a good token', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    const response = await browser.login(ADMIN_KEY);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const cookie = setCookieOf(response, 'photosortd_session');
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Max-Age=\d+/i);
    // Plain HTTP on loopback: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/Secure/i);
    // Signed: the id, a dot and an HMAC.
    expect(decodeURIComponent(cookie.split(';')[0] ?? '')).toMatch(
      /^photosortd_session=[^.]+\..+=$/,
    );

    const home = await browser.send('/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Files handled');
  });

  it('ends a session opened with a JWT when the JWT expires', async () => {
    const secret = 'a-jwt-secret-of-at-least-thirty-two-bytes-0123456789';
    const w = await world({ api: { jwt: { secret } } });
    const token = await mintToken(secret, { subject: 'phone', scope: 'read', ttlSeconds: 90 });
    const browser = new CookieClient(w.url);
    const response = await browser.login(token);
    expect(response.status).toBe(303);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(setCookieOf(response, 'photosortd_session'))?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(90);
  });

  it('marks the cookie Secure behind the configured TLS proxy', async () => {
    const w = await world({ api: { tlsProxy: 'caddy on https://photos.example' } });
    const browser = new CookieClient(w.url);
    const response = await browser.login(ADMIN_KEY, { 'x-forwarded-proto': 'https' });
    expect(setCookieOf(response, 'photosortd_session')).toMatch(/Secure/);
  });

  it('refuses a bad token, a login without its form nonce and a forged session cookie', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    const bad = await browser.login('not-a-key');
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('That token was refused');

    const crossSite = new CookieClient(w.url);
    const forged = await crossSite.send('/login', { form: { token: ADMIN_KEY } });
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie().join()).not.toContain('photosortd_session');

    const tampered = new CookieClient(w.url);
    tampered.set('photosortd_session', 'made-up.c2lnbmF0dXJl');
    expect((await tampered.send('/')).status).toBe(303);
  });

  it('does not let a session cookie stand in for a bearer token on the API', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    await browser.login(ADMIN_KEY);
    expect((await browser.send('/status')).status).toBe(401);
    // Bearer clients work as before.
    const status = await new ApiClient(w.url, ADMIN_KEY).status();
    expect(status.state).toBe('running');
  });
});

describe('dashboard writes', () => {
  it('refuses a write without the CSRF token, or from another origin, and acts with both right', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    await browser.login(ADMIN_KEY);
    const csrf = await browser.csrf();

    const noToken = await browser.send('/ui/pause', { form: {} });
    expect(noToken.status).toBe(403);
    expect(w.daemon.status().state).toBe('running');

    const wrongToken = await browser.send('/ui/pause', { form: { _csrf: 'x'.repeat(43) } });
    expect(wrongToken.status).toBe(403);

    // A cross-site form POST: the browser sends the foreign Origin.
    const crossSite = await browser.send('/ui/pause', {
      form: { _csrf: csrf },
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain('another site');
    expect(w.daemon.status().state).toBe('running');

    const ok = await browser.send('/ui/pause', {
      form: { _csrf: csrf },
      headers: { origin: w.url },
    });
    expect(ok.status).toBe(303);
    expect(w.daemon.status().state).toBe('paused');
    const header = await browser.send('/ui/resume', {
      method: 'POST',
      headers: { 'x-csrf-token': csrf },
    });
    expect(header.status).toBe(303);
    expect(w.daemon.status().state).toBe('running');
  });

  it('lets a read-scope login see every page and change nothing', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    expect((await browser.login(READ_KEY)).status).toBe(303);
    for (const path of ['/', '/ui/history', '/ui/attention', '/ui/rules']) {
      expect((await browser.send(path)).status, path).toBe(200);
    }
    const csrf = await browser.csrf();
    const pause = await browser.send('/ui/pause', { form: { _csrf: csrf } });
    expect(pause.status).toBe(403);
    expect(await pause.text()).toContain('read scope');
    const undo = await browser.send('/ui/undo', { form: { _csrf: csrf, ids: '1' } });
    expect(undo.status).toBe(403);
    const save = await browser.send('/ui/rules/save', {
      form: { _csrf: csrf, yaml: 'library: /' },
    });
    expect(save.status).toBe(403);
    expect(w.daemon.status().state).toBe('running');
  });

  it('hides a JWT secret written in the configuration from a read-scope login', async () => {
    const secret = 'inline-jwt-secret-that-would-mint-admin-tokens-0123456789';
    const w = await world({ api: { jwt: { secret } } });
    const viewer = new CookieClient(w.url);
    await viewer.login(READ_KEY);
    const page = await (await viewer.send('/ui/rules')).text();
    expect(page).not.toContain(secret);
    expect(page).toContain('hidden: only an admin login sees it');
    const admin = new CookieClient(w.url);
    await admin.login(ADMIN_KEY);
    expect(await (await admin.send('/ui/rules')).text()).toContain(secret);
  });

  it('ends the session at logout', async () => {
    const w = await world();
    const browser = new CookieClient(w.url);
    await browser.login(ADMIN_KEY);
    const csrf = await browser.csrf();
    expect((await browser.send('/logout', { form: { _csrf: csrf } })).status).toBe(303);
    expect((await browser.send('/')).status).toBe(303);
  });
});

describe('dashboard Host check (DNS rebinding)', () => {
  it('answers the listen address, localhost and api.allowedHosts, and refuses other names', async () => {
    const w = await world({ api: { allowedHosts: ['photos.home.arpa'] } });
    const port = new URL(w.url).port;
    const browser = new CookieClient(w.url);
    await browser.login(ADMIN_KEY);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `photos.home.arpa:${port}`]) {
      expect((await browser.send('/', { headers: { host } })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example`]) {
      const page = await browser.send('/', { headers: { host } });
      expect(page.status, host).toBe(421);
      expect((await browser.send('/login', { headers: { host } })).status).toBe(421);
    }
  });
});

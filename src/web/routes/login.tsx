import { decodeJwt } from 'jose';
import { remoteAddress } from '../../api/middleware.js';
import { LoginPage } from '../pages/login.js';
import { page, type Router, type WebDeps } from '../render.js';

/** `GET /login` (the form), `POST /login` (a token → a session) and `POST /logout`. */
export function loginRoutes(web: Router, deps: WebDeps): void {
  const { sessions, logger } = deps;
  web.get('/login', async (c) => {
    if (c.get('session')) return c.redirect('/', 303);
    const nonce = await sessions.loginNonce(c);
    return page(c, 'Log in', '/login', undefined, <LoginPage nonce={nonce} />);
  });
  web.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const nonce = typeof form.nonce === 'string' ? form.nonce : undefined;
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const again = async (message: string, status: 401 | 403 | 429) => {
      const fresh = await sessions.loginNonce(c);
      return page(
        c,
        'Log in',
        '/login',
        undefined,
        <LoginPage nonce={fresh} error={message} />,
        status,
      );
    };
    if (!(await sessions.loginNonceMatches(c, nonce))) {
      return again('The login form expired or came from another site; log in again', 403);
    }
    const result = await deps.authenticator.check(`Bearer ${token}`);
    if (!result.ok) {
      const address = remoteAddress(c);
      const decision = deps.limiter.take(`address:${address}`);
      if (!decision.allowed) {
        return again(`Too many attempts; try again in ${decision.retryAfterSeconds} s`, 429);
      }
      logger.warn({ address, reason: result.reason }, 'Dashboard login refused');
      return again(
        `That token was refused (${result.reason}). Paste the key from <state>/api-key, ` +
          'a key listed in api.keys, or a JWT from `photosortd token create`.',
        401,
      );
    }
    // A session opened with a JWT ends when the JWT does.
    const exp = result.principal.kind === 'jwt' ? decodeJwt(token).exp : undefined;
    await sessions.open(c, result.principal, exp === undefined ? Infinity : exp * 1000);
    logger.info({ name: result.principal.name, scope: result.principal.scope }, 'Dashboard login');
    return c.redirect('/', 303);
  });
  web.post('/logout', (c) => {
    sessions.close(c, c.get('session'));
    return c.redirect('/login', 303);
  });
}

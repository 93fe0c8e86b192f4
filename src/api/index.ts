/** The control API's public surface: what the daemon, the CLI and tests build on. */
export { apiKeyPath, ensureApiKey, generateApiKey, hashApiKey, readApiKey } from './api-key.js';
export { MAX_BODY_BYTES, createApiApp, type ApiApp, type ApiAppOptions } from './app.js';
export { Authenticator, type AcceptedKey, type Principal } from './auth.js';
export { ApiClient, ApiResponseError, DaemonNotRunningError, apiUrl } from './client.js';
export { mintToken, parseTtl, verifyToken, type Scope } from './jwt.js';
export { clientUrl, isLoopback, parseListen, type ListenAddress } from './listen.js';
export { Metrics, STAGE_BUCKETS } from './metrics.js';
export { startApiServer, type ApiServer } from './server.js';

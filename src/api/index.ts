/** The control API's public surface: what the daemon, the CLI and tests build on. */
export { readApiKey } from './api-key.js';
export { ApiClient } from './client.js';
export { Metrics } from './metrics.js';
export { startApiServer, type ApiServer } from './server.js';

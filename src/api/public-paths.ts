/**
 * Routes anyone may call: liveness probes carry no token, and the API's description holds no
 * secret while it is what tells a tool how to authenticate. The server lets them through
 * without a token; the client never sends its token to them, whoever answers.
 */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/health', '/openapi.json']);

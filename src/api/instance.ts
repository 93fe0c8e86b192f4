import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who a daemon is, beyond its port: the secret it wrote to `<state>/daemon.json` (readable by
 * its user only). `GET /health?challenge=C` answers HMAC-SHA256(secret, C), so the CLI can tell
 * the daemon of its state folder from any other process on the port before it sends a key.
 */
export interface ApiInstance {
  pid: number;
  secret: string;
}

/** A fresh per-run secret. */
export function newInstanceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A fresh challenge for {@link instanceProof}. */
export function newChallenge(): string {
  return randomBytes(16).toString('base64url');
}

/** The answer to `challenge` that only the holder of `secret` can give. */
export function instanceProof(secret: string, challenge: string): string {
  return createHmac('sha256', secret).update(challenge).digest('base64url');
}

/** Whether `proof` answers `challenge` for `secret`. */
export function provesInstance(secret: string, challenge: string, proof: unknown): boolean {
  if (typeof proof !== 'string') return false;
  const expected = Buffer.from(instanceProof(secret, challenge));
  const given = Buffer.from(proof);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * `30s`, `15m`, `1h`, `7d`, `2w` or a bare number of seconds → seconds; `null` for anything
 * else (zero, negative, fractions, unknown units). Used by `--ttl` and `api.jwt.maxLifetime`.
 */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(text);
  if (!match) return null;
  const seconds = Number(match[1]) * (UNITS[(match[2] || 's').toLowerCase()] ?? 1);
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null;
}

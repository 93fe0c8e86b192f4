/**
 * Numbers as exiftool's Perl prints them. Perl formats with C's printf, which rounds a value
 * lying exactly half-way to the even digit, where JavaScript's `toPrecision`/`toFixed` round it
 * up; everything else about the digits is the same. So the digits here come from the double's
 * exact decimal expansion (every double has a finite one) rounded half-to-even.
 */

/** The exact decimal expansion of a finite double: `digits × 10^-scale`, sign apart. */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  // m / 2^k = m·5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** `digits × 10^-scale` rounded to `keep` decimals, half to even. */
function roundHalfEven(digits: bigint, scale: number, keep: number): bigint {
  if (keep >= scale) return digits * 10n ** BigInt(keep - scale);
  const divisor = 10n ** BigInt(scale - keep);
  const quotient = digits / divisor;
  const twice = (digits % divisor) * 2n;
  if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** C's `%.{decimals}f` of `x` (finite), as text. */
export function printFixed(x: number, decimals: number): string {
  const { digits, scale } = exactDecimal(x);
  const rounded = roundHalfEven(digits, scale, decimals)
    .toString()
    .padStart(decimals + 1, '0');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (decimals === 0) return sign + rounded;
  return `${sign}${rounded.slice(0, -decimals)}.${rounded.slice(-decimals)}`;
}

/**
 * C's `%.{significant}g` of `x` (finite): exiftool's `RoundFloat`, and how Perl prints a number
 * (`%.15g`). Fixed notation unless the exponent is below -4 or not below `significant`; trailing
 * zeros dropped.
 */
export function printSignificant(x: number, significant: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits, scale } = exactDecimal(x);
  const magnitude = digits.toString().length - scale - 1;
  let decimals = significant - 1 - magnitude;
  let rounded = roundHalfEven(digits, scale, decimals).toString();
  // Rounding up may add a digit (9.99… → 10.0…): the exponent grows by one.
  if (rounded.length > significant) {
    decimals -= 1;
    rounded = roundHalfEven(digits, scale, decimals).toString();
  }
  const exponent = rounded.length - 1 - decimals;
  const sign = x < 0 ? '-' : '';
  if (exponent < -4 || exponent >= significant) {
    const mantissa = `${rounded[0]}.${rounded.slice(1)}`.replace(/\.?0+$/, '');
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (decimals === 0) return sign + rounded;
  const padded = rounded.padStart(decimals + 1, '0');
  return sign + `${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`.replace(/\.?0+$/, '');
}

/** The number {@link printSignificant} writes, as a double. */
export function roundSignificant(x: number, significant: number): number {
  return Number.isFinite(x) ? Number(printSignificant(x, significant)) : x;
}

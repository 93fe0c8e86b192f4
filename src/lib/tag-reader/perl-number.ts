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
 * The number C's `%.{significant}g` of `x` denotes (exiftool's `RoundFloat`, and Perl's own
 * `%.15g` when it prints a number), as a double; non-finite values are returned as they are.
 */
export function roundSignificant(x: number, significant: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const { digits, scale } = exactDecimal(x);
  // The power of ten of the leading digit decides how many decimals `significant` digits span.
  const magnitude = digits.toString().length - scale - 1;
  // Rounding up may add a digit (9.99… → 10.0…): printf then shows one decimal fewer, but the
  // number is the same power of ten either way.
  const keep = significant - 1 - magnitude;
  const rounded = roundHalfEven(digits, scale, keep);
  const text = keep > 0 ? `${rounded}e-${keep}` : `${rounded}e${-keep}`;
  return Math.sign(x) * Number(text);
}

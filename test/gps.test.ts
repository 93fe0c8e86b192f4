import { describe, expect, it } from 'vitest';
import { toGpsPosition } from '../src/lib/gps.js';

describe('toGpsPosition', () => {
  it('keeps a plausible position, from numbers or numeric strings', () => {
    expect(toGpsPosition(38.7223, -9.1393)).toEqual({ lat: 38.7223, lon: -9.1393 });
    expect(toGpsPosition('-33.8688', '151.2093')).toEqual({ lat: -33.8688, lon: 151.2093 });
    expect(toGpsPosition(0, 12.5)).toEqual({ lat: 0, lon: 12.5 });
    expect(toGpsPosition(90, -180)).toEqual({ lat: 90, lon: -180 });
  });

  it.each([
    [undefined, 1],
    [1, null],
    ['', 1],
    ['north', 1],
    [Number.NaN, 1],
    [1, Number.POSITIVE_INFINITY],
    [0, 0],
    ['0', '0'],
    [90.0001, 1],
    [-91, 1],
    [1, 180.5],
    [1, -181],
    [{ lat: 1 }, 1],
  ])('refuses %s, %s', (lat, lon) => {
    expect(toGpsPosition(lat, lon)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  captureInstant,
  datePart,
  formatCaptureDate,
  offsetOfWallClock,
  parseExifDateTime,
  parseOffset,
  wallClockInZone,
} from '../src/lib/capture-date.js';
import { captureDate } from './support/records.js';

const base = captureDate({ offsetMinutes: 60 });

describe('formatCaptureDate', () => {
  it('writes the offset only when the zone is known, and never Z', () => {
    expect(formatCaptureDate(base)).toBe('2024-06-12T18:30:00+01:00');
    expect(formatCaptureDate({ ...base, offsetMinutes: null })).toBe('2024-06-12T18:30:00');
    expect(formatCaptureDate({ ...base, offsetMinutes: 0 })).toBe('2024-06-12T18:30:00+00:00');
    expect(formatCaptureDate({ ...base, offsetMinutes: -210 })).toBe('2024-06-12T18:30:00-03:30');
    expect(formatCaptureDate({ ...base, offsetMinutes: 345 })).toBe('2024-06-12T18:30:00+05:45');
  });

  it('writes milliseconds only when they are not zero', () => {
    expect(formatCaptureDate({ ...base, millisecond: 7 })).toBe('2024-06-12T18:30:00.007+01:00');
  });

  it('gives the date part and the UTC instant', () => {
    expect(datePart({ ...base, month: 1, day: 2 })).toBe('2024-01-02');
    expect(captureInstant(base)?.toISOString()).toBe('2024-06-12T17:30:00.000Z');
    expect(captureInstant({ ...base, offsetMinutes: null })).toBeNull();
  });
});

describe('parseExifDateTime', () => {
  it('reads EXIF, XMP and ISO forms with their inline offset', () => {
    expect(parseExifDateTime('2021:05:16 12:27:36.107-07:00')).toEqual({
      wall: { year: 2021, month: 5, day: 16, hour: 12, minute: 27, second: 36, millisecond: 107 },
      offsetMinutes: -420,
    });
    expect(parseExifDateTime('2009:08:04 10:35:03Z')?.offsetMinutes).toBe(0);
    expect(parseExifDateTime('2024-06-12T18:30')?.wall.second).toBe(0);
    expect(parseExifDateTime('2024:06:12 18:30:00')?.offsetMinutes).toBeNull();
    expect(parseExifDateTime('14:30:00+00:00')).toBeNull();
    expect(parseExifDateTime('yesterday')).toBeNull();
  });

  it("reads AVCHD's ` DST` suffix: the offset before it already counts the summer hour", () => {
    // The value exiftool prints for a Sony AVCHD clip recorded with the DST flag set.
    expect(parseExifDateTime('2019:04:24 22:24:00+02:00 DST')).toEqual({
      wall: { year: 2019, month: 4, day: 24, hour: 22, minute: 24, second: 0, millisecond: 0 },
      offsetMinutes: 120,
    });
    expect(parseExifDateTime('2019:04:24 22:24:00 DST')).toBeNull();
    expect(parseExifDateTime('2019:04:24 22:24:00+02:00 DSTX')).toBeNull();
  });

  it('reads offsets and refuses impossible ones', () => {
    expect(parseOffset('+05:45')).toBe(345);
    expect(parseOffset('-0300')).toBe(-180);
    expect(parseOffset('+15:00')).toBeNull();
    expect(parseOffset('CET')).toBeNull();
  });
});

describe('time zones', () => {
  it('finds the wall clock and offset of a zone at an instant', () => {
    const utc = Date.parse('2019-07-24T08:25:57.250Z');
    expect(wallClockInZone(utc, 'Asia/Jerusalem')).toEqual({
      year: 2019,
      month: 7,
      day: 24,
      hour: 11,
      minute: 25,
      second: 57,
      millisecond: 250,
      offsetMinutes: 180,
    });
    expect(wallClockInZone(Date.parse('2008-12-31T22:16:24Z'), 'Pacific/Auckland')).toMatchObject({
      year: 2009,
      month: 1,
      day: 1,
      hour: 11,
      offsetMinutes: 780,
    });
  });

  it('drops the sub-millisecond fraction of a file time (mtimeMs)', () => {
    const mtimeMs = Date.parse('2024-06-12T18:30:00.688Z') + 0.80126953125;
    const wall = wallClockInZone(mtimeMs, 'UTC');
    expect(wall.millisecond).toBe(688);
    expect(formatCaptureDate({ ...wall, zone: 'UTC', source: 'mtime' })).toBe(
      '2024-06-12T18:30:00.688+00:00',
    );
  });

  it('finds the offset in force at a wall-clock time, across DST changes', () => {
    const wall = (month: number, day: number, hour: number, minute = 30) => ({
      year: 2024,
      month,
      day,
      hour,
      minute,
      second: 0,
      millisecond: 0,
    });
    expect(offsetOfWallClock(wall(1, 15, 12), 'Europe/Lisbon')).toBe(0);
    expect(offsetOfWallClock(wall(7, 15, 12), 'Europe/Lisbon')).toBe(60);
    // 02:30 on 31 March 2024 does not exist in Berlin (clocks jump 02:00 → 03:00).
    expect(offsetOfWallClock(wall(3, 31, 2), 'Europe/Berlin')).toBe(60);
    // 02:30 on 27 October 2024 happens twice in Berlin: the first one is still summer time.
    expect(offsetOfWallClock(wall(10, 27, 2), 'Europe/Berlin')).toBe(120);
  });
});

import { describe, expect, it } from 'vitest';
import { dateFromFileName } from '../src/lib/filename-date.js';

const now = new Date('2026-06-01T12:00:00Z');
const at = (name: string) => {
  const d = dateFromFileName(name, now);
  if (!d) return null;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ms = d.millisecond ? `.${p(d.millisecond, 3)}` : '';
  return `${p(d.year, 4)}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}:${p(d.second)}${ms}`;
};

describe('dateFromFileName', () => {
  it.each([
    ['IMG_20240612_183000.jpg', '2024-06-12 18:30:00'],
    ['PXL_20240612_183000123.jpg', '2024-06-12 18:30:00.123'],
    ['PXL_20240612_183000123.MP.jpg', '2024-06-12 18:30:00.123'],
    ['VID_20240612_183000.mp4', '2024-06-12 18:30:00'],
    ['20240612_183000.jpg', '2024-06-12 18:30:00'],
    ['20240612183000.heic', '2024-06-12 18:30:00'],
    ['IMG-20240612-WA0001.jpg', '2024-06-12 00:00:00'],
    ['2024-06-12 18.30.00.jpg', '2024-06-12 18:30:00'],
    ['Screenshot_2024-06-12-18-30-00.png', '2024-06-12 18:30:00'],
    ['Screenshot 2024-06-12 at 18.30.00.png', '2024-06-12 18:30:00'],
    ['signal-2024-06-12-183000.jpg', '2024-06-12 18:30:00'],
    ['signal-2024-06-12-183000_002.jpg', '2024-06-12 18:30:00'],
    ['PHOTO-2024-06-12-18-30-00.jpg', '2024-06-12 18:30:00'],
    ['Screenshot_20240612-183000_Chrome.jpg', '2024-06-12 18:30:00'],
    ['2024-06-12.jpg', '2024-06-12 00:00:00'],
    ['/some/dir/IMG_20240612_183000.jpg', '2024-06-12 18:30:00'],
  ])('%s → %s', (name, expected) => {
    expect(at(name)).toBe(expected);
  });

  it.each([
    ['IMG_20241312_183000.jpg', 'month 13'],
    ['IMG_20240230_120000.jpg', 'February 30th'],
    ['IMG_20230229_120000.jpg', 'February 29th in a common year'],
    ['IMG_20240612_253000.jpg', 'hour 25'],
    ['IMG_18991231_120000.jpg', 'before 1900'],
    ['IMG_20270101_120000.jpg', 'in the future'],
    ['IMG-20240631-WA0001.jpg', 'June 31st'],
    ['IMG_1234.jpg', 'no date'],
    ['DSC_123456789.jpg', 'a counter, not a date'],
    ['holiday.jpg', 'no digits'],
  ])('%s → null (%s)', (name) => {
    expect(dateFromFileName(name, now)).toBeNull();
  });

  it('accepts February 29th in a leap year and a date up to a day ahead', () => {
    expect(at('IMG_20240229_120000.jpg')).toBe('2024-02-29 12:00:00');
    expect(at('IMG_20260602_000000.jpg')).toBe('2026-06-02 00:00:00');
  });
});

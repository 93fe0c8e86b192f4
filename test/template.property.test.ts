import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhotosortdError } from '../src/lib/errors.js';
import { isInside, utf8Length } from '../src/lib/sanitize.js';
import type { FileJob } from '../src/pipeline/job.js';
import type { CaptureDate } from '../src/lib/media.js';
import { TEMPLATE_TOKENS, parseTemplate, resolveTarget } from '../src/pipeline/template.js';
import { fileJob, photoMeta } from './support/records.js';

const LIBRARY = '/srv/photos/library';

/** Pieces that have broken path handling before, mixed into random text. */
const NASTY = [
  '/',
  '\\',
  '..',
  '.',
  '../',
  '..\\',
  '/etc/passwd',
  '\u0000',
  '\n',
  '\r',
  '\t',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u202E',
  '\u2066',
  '\u200E',
  '\u200B',
  '\u200D',
  '\uFE0F',
  '\uFEFF',
  '\u00AD',
  '\u{E0041}',
  '\u3164',
  '\uD800',
  '\uDC00',
  ' ',
  '\u00A0',
  '\u3000',
  'CON',
  'nul',
  'COM1',
  'lpt9',
  '<>:"|?*',
  'e\u0301',
  '\u{1F468}\u200D\u{1F469}',
  '\u00e9',
  '\u{1F600}',
  'x'.repeat(120),
  '\u00e9'.repeat(90),
  '.jpg',
];

const nastyString = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''));

const maybe = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.option(arbitrary, { nil: null, freq: 4 });

const captureDate: fc.Arbitrary<CaptureDate> = fc.record({
  year: fc.integer({ min: -9999, max: 99999 }),
  month: fc.integer({ min: 0, max: 99 }),
  day: fc.integer({ min: 0, max: 99 }),
  hour: fc.integer({ min: 0, max: 99 }),
  minute: fc.integer({ min: 0, max: 99 }),
  second: fc.constant(0),
  millisecond: fc.constant(0),
  offsetMinutes: fc.constant(null),
  zone: fc.constant(null),
  source: fc.constant('ExifIFD:DateTimeOriginal'),
});

const job: fc.Arbitrary<FileJob> = fc
  .record({
    fileName: nastyString,
    kind: fc.constantFrom('photo', 'video', 'other', undefined),
    takenAt: maybe(captureDate),
    make: maybe(nastyString),
    model: maybe(nastyString),
    city: maybe(nastyString),
    region: maybe(nastyString),
    country: maybe(nastyString),
    countryCode: maybe(nastyString),
    tags: maybe(fc.array(nastyString, { maxLength: 3 })),
  })
  .map((r) =>
    fileJob(`/inbox/${r.fileName}`, {
      root: '/inbox',
      kind: r.kind,
      meta: photoMeta({ takenAt: r.takenAt, camera: { make: r.make, model: r.model } }),
      place: { city: r.city, region: r.region, country: r.country, countryCode: r.countryCode },
      tags: r.tags?.map((label) => ({ label, score: 0.5 })) ?? null,
    }),
  );

// Literal text and fallbacks may hold anything but the braces and the backslash, which the
// parser refuses outright (tested in template.test.ts).
const literalText = nastyString.map((text) => text.replace(/[{}\\/]/gu, ''));
const fallbackText = literalText.map((text) => text.replace(/\|/gu, ''));

const templatePiece = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...TEMPLATE_TOKENS), fc.option(fallbackText))
      .map(([token, fallback]) => (fallback === null ? `{${token}}` : `{${token}|${fallback}}`)),
  },
  { weight: 2, arbitrary: literalText },
  { weight: 2, arbitrary: fc.constant('/') },
);

const template = fc
  .array(templatePiece, { minLength: 1, maxLength: 10 })
  .map((pieces) => pieces.join('').replace(/^\/+/u, ''))
  .filter((text) => text !== '');

const FORBIDDEN_IN_SEGMENT =
  /[\p{Cc}\p{Cs}/\\<>:"|?*\u202A-\u202E\u2066-\u2069\u200E\u200F\u200B\u00AD\uFEFF\u{E0000}-\u{E007F}]/u;

// Zero-width joiners and variation selectors may stay (inside emoji and non-Latin words);
// nothing else that renders as nothing may.
const JOINERS = /\u200c|\u200d|[\ufe00-\ufe0f]/gu;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

describe('resolveTarget on random templates and hostile metadata', () => {
  it('never leaves the library and always gives well-formed segments', () => {
    let rendered = 0;
    fc.assert(
      fc.property(template, job, (text, fileJob) => {
        let compiled;
        try {
          compiled = parseTemplate(text);
        } catch (error) {
          // Only a literal "." or ".." folder is refused among these templates.
          expect(error).toBeInstanceOf(PhotosortdError);
          expect((error as PhotosortdError).message).toMatch(/"\.\.?" folder/u);
          return;
        }
        rendered++;
        const target = resolveTarget(LIBRARY, compiled, fileJob);
        expect(path.isAbsolute(target)).toBe(true);
        expect(isInside(LIBRARY, target)).toBe(true);
        expect(target).not.toBe(LIBRARY);
        const segments = path.relative(LIBRARY, target).split('/');
        expect(segments.length).toBeGreaterThan(0);
        for (const segment of segments) {
          expect(segment).not.toBe('');
          expect(segment).not.toBe('.');
          expect(segment).not.toBe('..');
          expect(segment).not.toMatch(/^[\s.]|[\s.]$/u);
          expect(segment).not.toMatch(FORBIDDEN_IN_SEGMENT);
          expect(segment.replace(JOINERS, '')).not.toMatch(INVISIBLE);
          expect(segment).not.toMatch(/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])\s*(\.|$)/iu);
          expect(utf8Length(segment)).toBeLessThanOrEqual(255);
          expect(segment).toBe(segment.normalize('NFC'));
        }
      }),
      { numRuns: 2000 },
    );
    expect(rendered).toBeGreaterThan(1800);
  });
});

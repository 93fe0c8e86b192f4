import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhotosortdError } from '../src/lib/errors.js';
import { isInside, utf8Length } from '../src/lib/sanitize.js';
import type { FileJob } from '../src/pipeline/job.js';
import type { CaptureDate } from '../src/lib/media.js';
import {
  TEMPLATE_TOKENS,
  parseTemplate,
  renderTemplate,
  resolveTarget,
  templateValues,
  type TemplateValues,
} from '../src/pipeline/template.js';
import { captureDate, fileJob, photoMeta } from './support/records.js';

const LIBRARY = '/srv/photos/library';

function takenAt(year: number, month: number, day: number, hour = 18, minute = 30): CaptureDate {
  return captureDate({ year, month, day, hour, minute });
}

function makeJob(overrides: Partial<FileJob> = {}, date: CaptureDate | null = null): FileJob {
  return fileJob('/inbox/IMG_1234.jpg', {
    size: 1000,
    kind: 'photo',
    meta: photoMeta({
      fileType: 'JPEG',
      mimeType: 'image/jpeg',
      takenAt: date ?? takenAt(2024, 6, 12),
      camera: { make: 'Apple', model: 'iPhone 15 Pro' },
      gps: { lat: 38.72, lon: -9.14 },
      orientation: 1,
      width: 4032,
      height: 3024,
    }),
    place: { city: 'Lisbon', region: 'Lisbon', country: 'Portugal', countryCode: 'PT' },
    tags: [
      { label: 'beach', score: 0.61 },
      { label: 'dog', score: 0.22 },
    ],
    ...overrides,
  });
}

function render(template: string, job: FileJob): string {
  return renderTemplate(parseTemplate(template), templateValues(job));
}

function refusal(template: string): PhotosortdError {
  try {
    parseTemplate(template);
  } catch (error) {
    expect(error).toBeInstanceOf(PhotosortdError);
    expect((error as PhotosortdError).code).toBe('TEMPLATE_INVALID');
    return error as PhotosortdError;
  }
  throw new Error(`template ${template} was accepted`);
}

describe('parseTemplate', () => {
  it('refuses an unknown token, naming it, suggesting the close one and listing all', () => {
    const { message } = refusal('{yeer}/{name}{ext}');
    expect(message).toContain('"{yeer}/{name}{ext}"');
    expect(message).toContain('unknown token {yeer}');
    expect(message).toContain('did you mean {year}?');
    for (const token of TEMPLATE_TOKENS) expect(message).toContain(`{${token}}`);
    expect(refusal('{place.town}/{name}').message).toContain('{place.town}');
    expect(refusal('{}/{name}').message).toContain('empty token {}');
  });

  it('refuses unbalanced braces with where they are', () => {
    expect(refusal('{year/{name}{ext}').message).toContain('"{" at character 1 that is not closed');
    expect(refusal('{year}/{name').message).toContain('"{" at character 8 that is not closed');
    expect(refusal('{year}}/{name}').message).toContain('"}" at character 7 with no "{"');
    expect(refusal('{year|{month}}').message).toContain('"{" at character 1');
  });

  it('refuses backslashes, a leading slash and . or .. folders', () => {
    expect(refusal('{year}\\{name}').message).toContain('separate folders with "/"');
    expect(refusal('/{year}/{name}').message).toContain('relative to the library');
    expect(refusal('../{year}/{name}').message).toContain('".." folder');
    expect(refusal('{year}/./{name}').message).toContain('"." folder');
  });

  it('accepts every documented token and the fallback syntax', () => {
    const all = TEMPLATE_TOKENS.map((token) => `{${token}|none}`).join('/');
    expect(parseTemplate(all).segments).toHaveLength(TEMPLATE_TOKENS.length);
    expect(parseTemplate('{ year }/{name}{ext}').segments[0]).toEqual([
      { token: 'year', fallback: '' },
    ]);
  });
});

describe('renderTemplate', () => {
  it('renders the default layout with date, place and name', () => {
    expect(render('{year}/{date} {place.city}/{name}{ext}', makeJob())).toBe(
      '2024/2024-06-12 Lisbon/IMG_1234.jpg',
    );
  });

  it('zero-pads dates and times as the camera clock showed them', () => {
    const job = makeJob({}, takenAt(2024, 1, 5, 7, 3));
    expect(render('{year}/{month}/{day}/{hour}-{minute} {name}{ext}', job)).toBe(
      '2024/01/05/07-03 IMG_1234.jpg',
    );
    expect(render('{date}', makeJob({}, takenAt(987, 2, 3)))).toBe('0987-02-03');
  });

  it('renders camera, place, kind and the best tag', () => {
    const job = makeJob();
    expect(render('{kind}/{camera.make} {camera.model}/{name}{ext}', job)).toBe(
      'photo/Apple iPhone 15 Pro/IMG_1234.jpg',
    );
    expect(
      render('{place.countryCode}/{place.country}/{place.region}/{place.city}/{tag}', job),
    ).toBe('PT/Portugal/Lisbon/Lisbon/beach');
  });

  it('keeps the extension as the file had it, and renders none when there is none', () => {
    expect(render('{name}{ext}', makeJob({ source: '/inbox/DSC_0001.JPG' }))).toBe('DSC_0001.JPG');
    expect(render('{ext}', makeJob({ source: '/inbox/clip.Mov' }))).toBe('Mov');
    expect(render('x/{name}{ext}', makeJob({ source: '/inbox/README' }))).toBe('x/README');
    expect(render('{name}{ext}', makeJob({ source: '/inbox/a.b.tar.gz' }))).toBe('a.b.tar.gz');
  });

  it('trims white space an empty token leaves and drops empty segments', () => {
    const job = makeJob({ place: null, tags: null });
    expect(render('{year}/{date} {place.city}/{name}{ext}', job)).toBe(
      '2024/2024-06-12/IMG_1234.jpg',
    );
    expect(render('{year}/{place.country}/{tag}/{name}{ext}', job)).toBe('2024/IMG_1234.jpg');
    expect(render('{tag} {year}', job)).toBe('2024');
  });

  it('uses the fallback text when a token is empty, sanitised', () => {
    const job = makeJob({ place: null, tags: [] });
    expect(render('{place.city|Somewhere else}/{name}{ext}', job)).toBe(
      'Somewhere else/IMG_1234.jpg',
    );
    expect(render('{tag|untagged}/{name}{ext}', job)).toBe('untagged/IMG_1234.jpg');
    expect(render('{place.city|a/b|c}/{name}{ext}', job)).toBe('a_b_c/IMG_1234.jpg');
    expect(render('{place.city|Lisbon}/{name}{ext}', makeJob())).toBe('Lisbon/IMG_1234.jpg');
    const nonsense = makeJob({
      place: { city: '..', region: null, country: null, countryCode: null },
    });
    expect(render('{place.city|Nowhere}/{name}{ext}', nonsense)).toBe('Nowhere/IMG_1234.jpg');
  });

  it('leaves date tokens empty when there is no date, still rendering a safe path', () => {
    const job = makeJob();
    job.meta = { ...job.meta!, takenAt: null };
    expect(render('{year}/{date} {place.city}/{name}{ext}', job)).toBe('Lisbon/IMG_1234.jpg');
    expect(render('{year|undated}/{name}{ext}', job)).toBe('undated/IMG_1234.jpg');
    expect(render('{year}/{month}/{day}', job)).toBe('IMG_1234.jpg');
  });

  it('falls back to the file name, then to "unnamed", when everything renders empty', () => {
    const job = makeJob({ place: null });
    expect(render('{place.city}', job)).toBe('IMG_1234.jpg');
    expect(render('{place.city}/{place.country}', job)).toBe('IMG_1234.jpg');
    expect(render('{place.city}', makeJob({ place: null, source: '/inbox/...' }))).toBe('unnamed');
  });

  it('keeps the extension of the file name when cutting it to 255 bytes', () => {
    const source = `/inbox/${'\u00e9'.repeat(200)}.HEIC`;
    const rendered = render('{year}/{name}{ext}', makeJob({ source }));
    const fileName = rendered.split('/')[1]!;
    expect(utf8Length(fileName)).toBeLessThanOrEqual(255);
    expect(fileName).toBe(`${'\u00e9'.repeat(125)}.HEIC`);
  });
});

describe('resolveTarget', () => {
  it('returns an absolute path inside the library', () => {
    const target = resolveTarget(LIBRARY, parseTemplate('{year}/{name}{ext}'), makeJob());
    expect(target).toBe('/srv/photos/library/2024/IMG_1234.jpg');
  });

  it('resolves a relative library against the working directory', () => {
    const target = resolveTarget('library', parseTemplate('{name}{ext}'), makeJob());
    expect(target).toBe(path.join(process.cwd(), 'library', 'IMG_1234.jpg'));
  });

  it('never returns the library root, even when every token is empty', () => {
    const job = makeJob({ place: null, source: '/inbox/..' });
    const target = resolveTarget(LIBRARY, parseTemplate('{place.city}/{place.country}'), job);
    expect(target).toBe(`${LIBRARY}/unnamed`);
  });
});

const HOSTILE = [
  '../',
  '../../../../etc',
  '/etc/passwd',
  '/',
  '..\\..\\windows\\system32',
  '.',
  '..',
  '...',
  '   ',
  ' . . ',
  'nul\u0000byte',
  'line\nbreak\r\n',
  'tab\tand\u0085next',
  'x'.repeat(10_000),
  '\u00e9'.repeat(150),
  `${'y'.repeat(299)}.jpg`,
  'CON',
  'nul.txt',
  'Com1',
  'LPT9.jpeg',
  'invoice\u202Egpj.exe',
  '\u2066\u2067\u2068\u2069\u202A\u202B\u202C\u202D\u200E\u200F',
  '\u200B\uFEFF',
  'a<b>c:d"e|f?g*h',
  '\uD800lone',
  '%2e%2e%2f',
  '~',
];

function hostileJob(value: string): FileJob {
  return makeJob({
    source: `/inbox/${value.replaceAll('/', '')}`,
    kind: value as FileJob['kind'],
    meta: {
      ...makeJob().meta!,
      camera: { make: value, model: value },
    },
    place: { city: value, region: value, country: value, countryCode: value },
    tags: [{ label: value, score: 0.9 }],
  });
}

const ALL_TOKENS_APART = TEMPLATE_TOKENS.map((token) => `{${token}}`).join('/');
const ALL_TOKENS_TOGETHER = TEMPLATE_TOKENS.map((token) => `{${token}}`).join(' ');
const FORBIDDEN_IN_SEGMENT =
  /[\p{Cc}/\\<>:"|?*\u202A-\u202E\u2066-\u2069\u200E\u200F\u200B\uFEFF]/u;

function expectSafe(library: string, target: string): void {
  expect(path.isAbsolute(target)).toBe(true);
  expect(isInside(library, target)).toBe(true);
  for (const segment of path.relative(library, target).split(path.sep)) {
    expect(segment).not.toBe('');
    expect(segment).not.toMatch(/^[.\s]|[.\s]$/u);
    expect(segment).not.toMatch(FORBIDDEN_IN_SEGMENT);
    expect(segment).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/iu);
    expect(utf8Length(segment)).toBeLessThanOrEqual(255);
  }
}

describe('hostile metadata in every token', () => {
  let library: string;
  beforeAll(async () => {
    library = path.join(await mkdtemp(path.join(os.tmpdir(), 'photosortd-template-')), 'lib');
    await mkdir(library);
  });
  afterAll(async () => {
    await rm(path.dirname(library), { recursive: true, force: true });
  });

  for (const template of [ALL_TOKENS_APART, ALL_TOKENS_TOGETHER, '{name}{ext}']) {
    it(`stays inside the library with ${template.slice(0, 40)}…`, () => {
      for (const value of HOSTILE) {
        expectSafe(library, resolveTarget(library, parseTemplate(template), hostileJob(value)));
      }
    });
  }

  it('stays safe when the values themselves carry separators (name and ext too)', () => {
    const compiled = parseTemplate(ALL_TOKENS_APART);
    for (const value of HOSTILE) {
      const values = Object.fromEntries(
        TEMPLATE_TOKENS.map((token) => [token, value]),
      ) as TemplateValues;
      expectSafe(library, path.join(library, renderTemplate(compiled, values)));
    }
  });

  it('gives paths that can really be created, each file where the path says', async () => {
    const template = parseTemplate('{camera.make}/{place.city} {tag}/{name}{ext}');
    const targets = HOSTILE.map((value) => resolveTarget(library, template, hostileJob(value)));
    for (const [i, target] of targets.entries()) {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, `photo ${i}`, { flag: 'wx' }).catch(async (error: unknown) => {
        // Two hostile values may sanitise to the same path; it must then be the same file.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
      const real = await realpath(target);
      expect(isInside(await realpath(library), real)).toBe(true);
      expect((await readFile(target, 'utf8')).startsWith('photo ')).toBe(true);
    }
  });
});

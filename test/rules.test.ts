import { describe, expect, it } from 'vitest';
import type { Rule } from '../src/config/schema.js';
import { PhotosortdError } from '../src/lib/errors.js';
import type { FileJob } from '../src/pipeline/job.js';
import { compileRules, matchRule } from '../src/pipeline/rules.js';
import { resolveTarget } from '../src/pipeline/template.js';
import { captureDate, fileJob, photoMeta } from './support/records.js';

function makeJob(overrides: Partial<FileJob> = {}): FileJob {
  return fileJob('/inbox/IMG_0001.JPG', {
    size: 2048,
    kind: 'photo',
    meta: photoMeta({
      fileType: 'JPEG',
      mimeType: 'image/jpeg',
      takenAt: captureDate({
        year: 2023,
        month: 8,
        day: 14,
        hour: 9,
        minute: 5,
        offsetMinutes: 120,
        zone: 'Europe/Berlin',
      }),
      camera: { make: 'FUJIFILM', model: 'X-T4' },
      gps: { lat: 52.52, lon: 13.4 },
      orientation: 1,
      width: 6240,
      height: 4160,
    }),
    place: { city: 'Berlin', region: 'Land Berlin', country: 'Germany', countryCode: 'DE' },
    tags: [
      { label: 'street', score: 0.4 },
      { label: 'bicycle', score: 0.3 },
    ],
    ...overrides,
  });
}

/** The name of the matched rule when the only rule has the conditions `when`, else null. */
function picks(when: Rule['when'], job: FileJob): string | null {
  const rules = compileRules([{ name: 'tested', when, to: '{name}{ext}' }]);
  return matchRule(rules, job)?.name ?? null;
}

describe('matchRule conditions', () => {
  it('matches everything when a rule has no conditions', () => {
    expect(picks(undefined, makeJob())).toBe('tested');
    expect(picks({}, makeJob({ kind: undefined, meta: undefined, place: null }))).toBe('tested');
  });

  it('kind: the media kind, one or a list', () => {
    expect(picks({ kind: 'photo' }, makeJob())).toBe('tested');
    expect(picks({ kind: 'video' }, makeJob())).toBeNull();
    expect(picks({ kind: ['video', 'photo'] }, makeJob())).toBe('tested');
    expect(picks({ kind: 'photo' }, makeJob({ kind: 'other' }))).toBeNull();
    expect(picks({ kind: 'photo' }, makeJob({ kind: undefined }))).toBeNull();
  });

  it('ext: with or without the dot, any case', () => {
    expect(picks({ ext: 'jpg' }, makeJob())).toBe('tested');
    expect(picks({ ext: '.Jpg' }, makeJob())).toBe('tested');
    expect(picks({ ext: ['png', '.heic'] }, makeJob())).toBeNull();
    expect(picks({ ext: ['png', '.heic'] }, makeJob({ source: '/inbox/a.HEIC' }))).toBe('tested');
    expect(picks({ ext: 'jpg' }, makeJob({ source: '/inbox/jpg' }))).toBeNull();
    expect(picks({ ext: 'gz' }, makeJob({ source: '/inbox/a.tar.gz' }))).toBe('tested');
  });

  it('camera: a case-insensitive part of "make model"', () => {
    expect(picks({ camera: 'fujifilm' }, makeJob())).toBe('tested');
    expect(picks({ camera: 'x-t4' }, makeJob())).toBe('tested');
    expect(picks({ camera: 'Fujifilm X-T' }, makeJob())).toBe('tested');
    expect(picks({ camera: ['iphone', 'pixel'] }, makeJob())).toBeNull();
    const iphone = makeJob();
    iphone.meta = { ...iphone.meta!, camera: { make: 'Apple', model: 'iPhone 15 Pro' } };
    expect(picks({ camera: ['iphone', 'pixel'] }, iphone)).toBe('tested');
  });

  it('camera: no match when the file names no camera', () => {
    const job = makeJob();
    job.meta = { ...job.meta!, camera: { make: null, model: null } };
    expect(picks({ camera: 'fuji' }, job)).toBeNull();
    expect(picks({ camera: '' }, job)).toBeNull();
    expect(picks({ camera: 'fuji' }, makeJob({ meta: undefined }))).toBeNull();
  });

  it('place: country code, country or city, case-insensitively equal', () => {
    expect(picks({ place: 'de' }, makeJob())).toBe('tested');
    expect(picks({ place: 'GERMANY' }, makeJob())).toBe('tested');
    expect(picks({ place: 'berlin' }, makeJob())).toBe('tested');
    expect(picks({ place: ['PT', 'Berlin'] }, makeJob())).toBe('tested');
    expect(picks({ place: 'Berl' }, makeJob())).toBeNull();
    expect(picks({ place: 'Land Berlin' }, makeJob())).toBeNull();
  });

  it('place: no match when the file has no place', () => {
    expect(picks({ place: 'DE' }, makeJob({ place: null }))).toBeNull();
    expect(picks({ place: 'DE' }, makeJob({ place: undefined }))).toBeNull();
  });

  it('tags: any of the listed labels among the AI tags, not only the best one', () => {
    expect(picks({ tags: ['bicycle'] }, makeJob())).toBe('tested');
    expect(picks({ tags: ['screenshot', 'Street'] }, makeJob())).toBe('tested');
    expect(picks({ tags: ['screenshot'] }, makeJob())).toBeNull();
    expect(picks({ tags: ['street'] }, makeJob({ tags: null }))).toBeNull();
    expect(picks({ tags: ['street'] }, makeJob({ tags: [] }))).toBeNull();
  });

  it('name: a glob on the file name, case-insensitive', () => {
    expect(picks({ name: 'img_*.jpg' }, makeJob())).toBe('tested');
    expect(picks({ name: ['Screenshot*', 'IMG_000?.*'] }, makeJob())).toBe('tested');
    expect(picks({ name: 'DSC*' }, makeJob())).toBeNull();
    expect(picks({ name: '*.jpg' }, makeJob({ source: '/inbox/.hidden.jpg' }))).toBe('tested');
    expect(picks({ name: 'inbox*' }, makeJob())).toBeNull();
  });

  it('needs every condition of a rule to hold', () => {
    expect(picks({ kind: 'photo', ext: 'jpg', place: 'DE', tags: ['street'] }, makeJob())).toBe(
      'tested',
    );
    expect(picks({ kind: 'photo', ext: 'jpg', place: 'PT' }, makeJob())).toBeNull();
    expect(picks({ kind: 'video', ext: 'jpg' }, makeJob())).toBeNull();
  });
});

describe('rule order', () => {
  const rules = compileRules([
    { name: 'screenshots', when: { tags: ['screenshot'] }, to: 'Screenshots/{year}/{name}{ext}' },
    { name: 'berlin', when: { place: 'Berlin' }, to: 'Berlin/{date}/{name}{ext}' },
    { name: 'germany', when: { place: 'DE' }, to: 'Germany/{name}{ext}' },
    { name: 'default', to: '{year}/{date} {place.city}/{name}{ext}' },
  ]);

  it('takes the first rule that matches', () => {
    const rule = matchRule(rules, makeJob());
    expect(rule?.name).toBe('berlin');
    expect(resolveTarget('/lib', rule!.template, makeJob())).toBe(
      '/lib/Berlin/2023-08-14/IMG_0001.JPG',
    );
    const munich = makeJob({
      place: { city: 'Munich', region: 'Bavaria', country: 'Germany', countryCode: 'DE' },
    });
    expect(matchRule(rules, munich)?.name).toBe('germany');
    const shot = makeJob({ tags: [{ label: 'screenshot', score: 0.9 }] });
    expect(matchRule(rules, shot)?.name).toBe('screenshots');
  });

  it('passes over rules on data the file lacks', () => {
    const job = makeJob({ place: null, tags: null });
    const rule = matchRule(rules, job);
    expect(rule?.name).toBe('default');
    expect(resolveTarget('/lib', rule!.template, job)).toBe('/lib/2023/2023-08-14/IMG_0001.JPG');
  });

  it('returns null when no rule matches', () => {
    const only = compileRules([{ name: 'videos', when: { kind: 'video' }, to: '{name}{ext}' }]);
    expect(matchRule(only, makeJob())).toBeNull();
    expect(matchRule([], makeJob())).toBeNull();
  });
});

describe('compileRules', () => {
  it('refuses a bad template, naming the rule and the token', () => {
    let caught: unknown;
    try {
      compileRules([
        { name: 'default', to: '{year}/{name}{ext}' },
        { name: 'trips', to: '{year}/{place.town}/{name}{ext}' },
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PhotosortdError);
    expect((caught as PhotosortdError).code).toBe('TEMPLATE_INVALID');
    expect((caught as PhotosortdError).message).toMatch(
      /^Rule "trips": Template ".*\{place\.town\}/,
    );
    expect((caught as PhotosortdError).message).toContain('{place.city}');
  });

  it('keeps the rule names and order', () => {
    const compiled = compileRules([
      { name: 'a', to: '{name}' },
      { name: 'b', when: { ext: 'png' }, to: '{ext}/{name}' },
    ]);
    expect(compiled.map((rule) => rule.name)).toEqual(['a', 'b']);
    expect(compiled[1]!.template.source).toBe('{ext}/{name}');
  });
});

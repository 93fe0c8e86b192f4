import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBatchReader,
  createExifTool,
  type ExifTool,
  type RawTags,
} from '../src/lib/exiftool.js';
import { createExifStage } from '../src/pipeline/exif.js';
import type { FileJob } from '../src/pipeline/job.js';
import { tempDir } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { fileJob } from './support/records.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ARGS = ['-fast', '-a', '-G1', '-FileType', '-DateTimeOriginal', '-Make', '-ImageSize#'];

let exiftool: ExifTool;
let tmp: string;
/** Commands exiftool answered, counted from batch-cluster's own events. */
let tasks = 0;

beforeAll(async () => {
  exiftool = createExifTool({ maxProcs: 2 });
  exiftool.on('taskResolved', () => (tasks += 1));
  tmp = await tempDir('photosortd-exif-batch-');
});
afterAll(async () => {
  await exiftool.end();
  await rm(tmp, { recursive: true, force: true });
});

/** The sample files of test/fixtures: photos, RAW, video, a truncated JPEG. */
async function samples(): Promise<string[]> {
  return (await readdir(FIXTURES, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.endsWith('.md'))
    .map((e) => join(FIXTURES, e.name));
}

/** What `promise` settles to, with a rejection's message standing for it. */
const settled = <T>(promise: Promise<T>): Promise<T | { rejected: string }> =>
  promise.catch((error: unknown) => ({ rejected: String(error) }));

describe('batch reader', () => {
  it('reads a file whose name has a line break (through an alias), batched with others', async () => {
    const names = ['line\nbreak.jpg', 'carriage\rreturn.jpg', 'plain.jpg'];
    for (const [i, name] of names.entries()) {
      await writeJpeg(join(tmp, 'breaks', name), {
        seed: 500 + i,
        date: '2020:02:0' + (i + 1) + ' 10:00:00',
      });
    }
    const reader = createBatchReader(exiftool, [...ARGS, '-FileName', '-Directory']);
    const read = await Promise.all(names.map((name) => reader.read(join(tmp, 'breaks', name))));
    expect(read.map((tags) => tags['ExifIFD:DateTimeOriginal'])).toEqual([
      '2020:02:01 10:00:00',
      '2020:02:02 10:00:00',
      '2020:02:03 10:00:00',
    ]);
    expect(read.map((tags) => tags.SourceFile)).toEqual(
      names.map((name) => join(tmp, 'breaks', name)),
    );
    expect(read.map((tags) => tags['System:FileName'])).toEqual(names);
    expect(read[0]?.['System:Directory']).toBe(join(tmp, 'breaks'));
    // The alias folders are gone.
    expect((await readdir(tmpdir())).filter((name) => name.startsWith('photosortd-name-'))).toEqual(
      [],
    );
  });

  it('answers many files in a few exiftool commands', async () => {
    const files = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writeJpeg(join(tmp, 'many', `IMG_${i}.jpg`), { seed: i, date: '2021:05:06 07:08:09' }).then(
          () => join(tmp, 'many', `IMG_${i}.jpg`),
        ),
      ),
    );
    const reader = createBatchReader(exiftool, ARGS);
    const before = tasks;
    const all = await Promise.all(files.map((file) => reader.read(file)));
    expect(all.map((tags) => tags.SourceFile)).toEqual(files);
    expect(all.every((tags) => tags['ExifIFD:DateTimeOriginal'] === '2021:05:06 07:08:09')).toBe(
      true,
    );
    // Two processes: the first files go out alone, the rest wait and share commands.
    expect(tasks - before).toBeLessThanOrEqual(10);
  });

  it('gives every file what readRaw gives it alone, bad files and all', async () => {
    const bad = join(tmp, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'garbage.jpg'), Buffer.from('not a photo at all, just text'));
    await writeFile(join(bad, 'empty.jpg'), '');
    await writeFile(join(bad, '-looks-like-an-option.jpg'), 'x');
    const files = [
      ...(await samples()),
      join(bad, 'garbage.jpg'),
      join(bad, 'empty.jpg'),
      join(bad, '-looks-like-an-option.jpg'),
      join(bad, 'missing.jpg'),
    ];
    const alone: (RawTags | { rejected: string })[] = [];
    for (const file of files) {
      alone.push(await settled(exiftool.readRaw(file, { readArgs: ARGS, useMWG: false })));
    }
    const reader = createBatchReader(exiftool, ARGS);
    const batched = await Promise.all(files.map((file) => settled(reader.read(file))));
    expect(batched).toEqual(alone);
    expect(alone.filter((r) => 'rejected' in r).length).toBeGreaterThan(0);
  });
});

describe('exif stage over many files at once', () => {
  it('reads each file as it does one at a time', async () => {
    const files = await samples();
    const job = (source: string): FileJob => fileJob(source, { root: tmp });
    const options = { exiftool, dates: ['exif' as const], timeZone: 'UTC', now: () => new Date(0) };
    const oneByOne: FileJob[] = [];
    for (const file of files) oneByOne.push(await createExifStage(options)(job(file)));
    const stage = createExifStage(options);
    const together = await Promise.all(files.map((file) => stage(job(file))));
    expect(together).toEqual(oneByOne);
  });
});

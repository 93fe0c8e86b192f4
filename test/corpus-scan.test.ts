import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { CORPUS, CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import { listFiles, snapshot, tempDir } from './support/fs.js';

interface Line {
  source: string;
  target: string | null;
  action: string;
  takenAt: string | null;
  dateSource: string | null;
  place: { city: string | null; countryCode: string | null } | null;
  error: string | null;
  reason: string | null;
}

/** truth.tsv: file → the capture date (YYYY-MM-DD) exiftool reads, or null. */
async function truthDates(): Promise<Map<string, string | null>> {
  const rows = (await readFile(join(CORPUS, 'truth.tsv'), 'utf8')).trim().split('\n').slice(1);
  return new Map(
    rows.map((row) => {
      const [file, , dto] = row.split('\t');
      const m = /^(\d{4}):(\d{2}):(\d{2})/.exec(dto ?? '');
      return [file!, m ? `${m[1]}-${m[2]}-${m[3]}` : null];
    }),
  );
}

/**
 * Files photosortd deliberately dates differently from truth.tsv (each explained in
 * test/exif-corpus.test.ts): bogus camera clocks are refused, and a GPS time stamp is the
 * last embedded resort.
 */
const EXPECTED_DATE_DEVIATIONS: Record<string, string | null> = {
  'ia_sanyo-vpcg250.jpg': null,
  'ia_WWL_(Polaroid)_ION230.jpg': null,
  'im_gps-datetime.jpg': '2023-11-15',
  'ia_HMD_Nokia_8.3_5G_hdr.heif': '2022-01-12',
};

describe.skipIf(!HAS_CORPUS)('scan over the shared corpus (dates from embedded tags only)', () => {
  let dir: string;
  let config: string;
  let lines: Line[];
  let exitCode: number;

  beforeAll(async () => {
    dir = await tempDir('photosortd-corpus-scan-');
    await cp(CORPUS_DEV, join(dir, 'inbox'), { recursive: true });
    await mkdir(join(dir, 'library'));
    config = join(dir, 'photosortd.config.yaml');
    await writeFile(
      config,
      stringify({
        library: './library',
        inboxes: ['./inbox'],
        state: './state',
        dates: { from: ['exif'] },
        api: { enabled: false },
        rules: [{ name: 'default', to: '{year}/{date} {place.city}/{name}{ext}' }],
      }),
    );
    const before = await snapshot(join(dir, 'inbox'));
    const dry = await runCli([
      'scan',
      join(dir, 'inbox'),
      '--dry-run',
      '--json',
      '--config',
      config,
    ]);
    expect(dry.code).toBe(0);
    expect(await snapshot(join(dir, 'inbox'))).toEqual(before);
    const result = await runCli(['scan', join(dir, 'inbox'), '--json', '--config', config]);
    exitCode = result.code;
    lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    // The dry run planned exactly what the real run did.
    const planned = dry.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    const byName = (list: Line[]) =>
      Object.fromEntries(list.map((l) => [l.source, { target: l.target, action: l.action }]));
    expect(byName(planned)).toEqual(byName(lines));
  }, 180_000);

  it('handles every file once, with no error, and leaves the inbox empty', async () => {
    expect(exitCode).toBe(0);
    expect(lines).toHaveLength((await truthDates()).size);
    expect(lines.filter((line) => line.action === 'error')).toEqual([]);
    expect(await listFiles(join(dir, 'inbox'))).toEqual([]);
  });

  it('files every dated file under its capture date and the rest under Unsorted, with a reason', async () => {
    const truth = await truthDates();
    const library = join(dir, 'library');
    for (const line of lines) {
      const name = line.source.slice(line.source.lastIndexOf('/') + 1);
      const date =
        name in EXPECTED_DATE_DEVIATIONS ? EXPECTED_DATE_DEVIATIONS[name] : truth.get(name);
      if (date) {
        expect({ name, action: line.action, date: line.takenAt?.slice(0, 10) }).toEqual({
          name,
          action: 'move',
          date,
        });
        const city = line.place?.city ? ` ${line.place.city}` : '';
        expect(line.target).toBe(join(library, date.slice(0, 4), `${date}${city}`, name));
      } else {
        expect({ name, action: line.action }).toEqual({ name, action: 'unsorted' });
        expect(line.target).toBe(join(library, 'Unsorted', name));
        expect(line.reason).toBeTruthy();
      }
    }
  });

  it('reports the place of GPS photos and names their folders after it', () => {
    const find = (name: string) => lines.find((line) => line.source.endsWith(`/${name}`));
    expect(find('ia_HMD_Nokia_8.3_5G.jpg')?.target).toContain('/2022-08-14 Helsinki/');
    expect(find('et_Google.jpg')?.place?.countryCode).toBe('ES');
    expect(find('dn_Nokia Lumia 800.jpg')?.target).toContain('/2012-06-09 Dublin/');
    // 0,0 is a placeholder, not a place.
    expect(find('dn_Samsung GT-I9000 (Galaxy S).jpg')?.place).toBeNull();
    expect(find('ia_Nikon_D70.jpg')?.place).toBeNull();
  });

  it('files the corrupt and truncated files without stopping, and says why', () => {
    const truncated = lines.find((line) =>
      line.source.endsWith('dv_Sony DSC-HX5V (2)_truncated.jpg'),
    );
    expect(truncated?.action).toBe('unsorted');
    expect(truncated?.reason).toBeTruthy();
    const corrupt = lines.find((line) => line.source.endsWith('/ia_corrupted.jpg'));
    expect(corrupt?.action).toBe('move');
  });
});

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { walkFiles } from '../src/daemon/walk-files.js';
import type { Config } from '../src/config/load.js';
import type { ControlEvent } from '../src/daemon/control.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { silentLogger } from '../src/lib/logger.js';
import { ROOT } from './support/cli.js';
import { exiftoolCli, livePhotoHalves, scanJson } from './support/companions.js';
import { projectConfig } from './support/daemon-project.js';
import { listFiles, sha256, tempDir, waitFor } from './support/fs.js';
import { makeJpeg, writeJpeg, type PhotoSpec } from './support/media.js';
import { startWriter } from './support/writer.js';

/*
 * Real drops (issue 19): each scenario played as the real tool plays it, against a running
 * daemon where the daemon is the one that got it wrong.
 */

const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

async function setup(
  extra: Record<string, unknown> = {},
): Promise<{ inbox: string; config: Config }> {
  const { dir, loaded } = await projectConfig({ settle: 300, ...extra }, 'photosortd-drops-');
  return { inbox: join(dir, 'inbox'), config: loaded };
}

async function start(config: Config): Promise<{ daemon: Daemon; events: ControlEvent[] }> {
  const daemon = await launchDaemon(config, silentLogger());
  running.push(daemon);
  const events: ControlEvent[] = [];
  daemon.subscribe((event) => events.push(event));
  return { daemon, events };
}

/**
 * A real JPEG of about `size` bytes: a generated photo with random data after its end (as
 * some cameras leave a trailer), so a writer has something to write slowly.
 */
async function bigJpeg(spec: PhotoSpec, size: number): Promise<Buffer> {
  const jpeg = await makeJpeg(spec);
  return Buffer.concat([jpeg, randomBytes(Math.max(0, size - jpeg.length))]);
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file events of a daemon, by source file name. */
function fileEvents(events: ControlEvent[]): Extract<ControlEvent, { type: 'file' }>[] {
  return events.filter(
    (event): event is Extract<ControlEvent, { type: 'file' }> => event.type === 'file',
  );
}

describe('sync tools’ temp names (issue 19.4)', () => {
  it('leaves a Resilio Sync NAME.!sync alone until the tool renames it, then files it once', async () => {
    const { inbox, config } = await setup();
    const { daemon, events } = await start(config);
    const bytes = await bigJpeg({ date: '2024:03:04 05:06:07', seed: 41 }, 64 * 1024);
    const writer = startWriter({
      bytes,
      path: join(inbox, 'IMG_7001.JPG.!sync'),
      renameTo: join(inbox, 'IMG_7001.JPG'),
      chunk: 4096,
      chunkPauseMs: 20,
      // Complete, the temp file sits still for longer than settle (Resilio checks the pieces'
      // hashes) before the tool renames it.
      stallAfter: bytes.length,
      stallMs: 4000,
    });
    // The tool's final rename must succeed: the daemon did not take the temp file away.
    expect(await writer.done).toBe(0);
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the filed photo',
    });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual(['2024/2024-03-04/IMG_7001.JPG']);
    expect(await readFile(join(config.library, '2024/2024-03-04/IMG_7001.JPG'))).toEqual(bytes);
    expect(fileEvents(events).map((event) => event.source)).toEqual([join(inbox, 'IMG_7001.JPG')]);
  });

  it('skips the temp names of other tools, and those the config adds under inProgress', async () => {
    const { inbox, config } = await setup({ inProgress: ['*.syncing'] });
    const temps = [
      '~syncthing~IMG_1.jpg.tmp',
      'IMG_2.jpg.crdownload',
      'IMG_3.jpg.part',
      'IMG_4.jpg.download',
      'IMG_5.jpg.!sync',
      'IMG_6.jpg.tmp',
      'IMG_7.jpg.syncing',
    ];
    for (const [i, name] of temps.entries()) {
      await writeJpeg(join(inbox, name), { date: '2024:01:01 00:00:00', seed: 50 + i });
    }
    await writeJpeg(join(inbox, 'IMG_8.jpg'), { date: '2024:01:02 00:00:00', seed: 60 });
    const { daemon } = await start(config);
    await waitFor(async () => (await listFiles(config.library)).length === 1, { what: 'IMG_8' });
    // The temp files have had several settle periods to be (wrongly) taken.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual(['2024/2024-01-02/IMG_8.jpg']);
    expect(await listFiles(inbox)).toEqual([...temps].sort());
    // scan passes over the same names.
    const { lines } = await scanJson(config, [inbox], true);
    expect(lines).toEqual([]);
  });
});

describe('files that are not photos or videos (issue 19.6)', () => {
  /** What a camera card and a Takeout export carry besides photos. */
  async function dropCardJunk(inbox: string): Promise<string[]> {
    const files: Record<string, Buffer> = {
      'DCIM/100CANON/M0100.CTG': Buffer.alloc(512, 1),
      'MISC/AUTPRINT.MRK': Buffer.from('[HDR]\r\nGEN REV = 01.00\r\n'),
      'DCIM/100CANON/Thumbs.db': Buffer.alloc(1024, 7),
      'Takeout/Google Photos/Trip/metadata.json': Buffer.from('{"title":"Trip"}'),
      'Takeout/Google Photos/print-subscriptions.json': Buffer.from('{}'),
      'Takeout/archive_browser.html': Buffer.from('<!doctype html><title>Takeout</title>'),
      'Downloads/invoice.pdf': Buffer.from('%PDF-1.4\n%%EOF\n'),
      'Downloads/photos.zip': Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]),
      'Downloads/song.mp3': Buffer.concat([
        Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00'),
        Buffer.alloc(64),
      ]),
    };
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(join(inbox, name, '..'), { recursive: true });
      await writeFile(join(inbox, name), bytes);
    }
    await writeJpeg(join(inbox, 'DCIM/100CANON/IMG_0001.JPG'), {
      date: '2023:05:06 07:08:09',
      seed: 70,
    });
    return Object.keys(files).sort();
  }

  it('leaves them where they are by default, and says why once', async () => {
    const { inbox, config } = await setup();
    const junk = await dropCardJunk(inbox);
    const { daemon, events } = await start(config);
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the photo',
    });
    await waitFor(() => fileEvents(events).length === junk.length + 1, {
      what: 'every file reported',
    });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual(['2023/2023-05-06/IMG_0001.JPG']);
    expect(await listFiles(inbox)).toEqual(junk);
    const skipped = fileEvents(events).filter((event) => event.action === 'skip');
    expect(skipped.map((event) => event.source).sort()).toEqual(
      junk.map((name) => join(inbox, name)),
    );
    expect(new Set(skipped.map((event) => event.source)).size).toBe(junk.length);
    const { lines } = await scanJson(config, [inbox], true);
    for (const line of lines) {
      expect(line).toMatchObject({ action: 'skip', target: null });
      expect(line.reason).toMatch(/is not a photo or video; left where it is/);
    }
  });

  it('sends them to the nonMedia template when one is configured', async () => {
    const { inbox, config } = await setup({ nonMedia: 'Other/{name}{ext}' });
    await dropCardJunk(inbox);
    const { daemon } = await start(config);
    await waitFor(async () => (await listFiles(config.library)).length === 10, {
      what: 'every file',
    });
    await daemon.idle();
    const library = await listFiles(config.library);
    expect(library).toContain('Other/invoice.pdf');
    expect(library).toContain('Other/Thumbs.db');
    expect(library).toContain('Other/metadata.json');
    expect(library).toContain('2023/2023-05-06/IMG_0001.JPG');
  });
});

describe('scan while files vanish (issue 19.8)', () => {
  it('reports a file gone between the listing and its lstat, and walks on', async () => {
    const dir = await tempDir('photosortd-walk-');
    const names = Array.from({ length: 20 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.jpg`);
    for (const name of names) await writeFile(join(dir, name), 'x');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'a.jpg'), 'x');
    const seen: { source: string; size: number }[] = [];
    for await (const job of walkFiles(dir)) {
      // A daemon filing the folder meanwhile: after the first file, every other one is gone.
      if (seen.length === 0) {
        for (const name of names) await rm(join(dir, name), { force: true });
        await rm(join(dir, 'sub'), { recursive: true });
      }
      seen.push({ source: job.source, size: job.size });
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.slice(1).every((job) => job.size === 0)).toBe(true);
  });

  it('gives each file that vanished while scan walked a "gone" line, and ends normally', async () => {
    const { inbox, config } = await setup();
    for (let i = 0; i < 40; i++) {
      await writeJpeg(join(inbox, `IMG_${i}.jpg`), { date: '2022:02:02 02:02:02', seed: 200 + i });
    }
    // Another program (a daemon filing them) empties the folder while scan walks it, a file
    // every few milliseconds: at the pace of an event-loop turn it could empty the folder
    // before a scan slowed by a busy machine had listed a single file.
    const remover = (async () => {
      for (let i = 39; i >= 0; i--) {
        await rm(join(inbox, `IMG_${i}.jpg`), { force: true });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const { lines } = await scanJson(config, [inbox]);
    await remover;
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      if (line.action !== 'move') expect(line.reason).toMatch(/disappeared before/);
    }
  });
});

describe('--dry-run predicts the real run (issue 19.10)', () => {
  it('numbers a second different IMG_0004.JPG and calls a second identical one a duplicate', async () => {
    const { inbox, config } = await setup();
    const a = await writeJpeg(join(inbox, 'card1', 'IMG_0004.JPG'), {
      date: '2024:08:08 08:08:08',
      seed: 81,
    });
    await writeJpeg(join(inbox, 'card2', 'IMG_0004.JPG'), {
      date: '2024:08:08 08:08:08',
      seed: 82,
    });
    await mkdir(join(inbox, 'copy'));
    await writeFile(join(inbox, 'copy', 'IMG_0004.JPG'), a);
    const summary = (lines: { action: string; target: string | null }[]) =>
      lines.map((line) => `${line.action} ${line.target ?? ''}`).sort();
    const dry = await scanJson(config, [inbox], true);
    expect(await listFiles(config.library)).toEqual([]);
    const real = await scanJson(config, [inbox]);
    expect(summary(dry.lines)).toEqual(summary(real.lines));
    expect(summary(real.lines)).toEqual([
      'duplicate ',
      `move ${join(config.library, '2024/2024-08-08/IMG_0004 (1).JPG')}`,
      `move ${join(config.library, '2024/2024-08-08/IMG_0004.JPG')}`,
    ]);
  });
});

describe('--dry-run with onCollision: skip', () => {
  it('leaves the second different IMG_0004.JPG in the inbox, as the real run does', async () => {
    const { inbox, config } = await setup({ onCollision: 'skip' });
    await writeJpeg(join(inbox, 'card1', 'IMG_0004.JPG'), {
      date: '2024:08:08 08:08:08',
      seed: 91,
    });
    await writeJpeg(join(inbox, 'card2', 'IMG_0004.JPG'), {
      date: '2024:08:08 08:08:08',
      seed: 92,
    });
    const summary = (lines: { action: string; target: string | null }[]) =>
      lines.map((line) => `${line.action} ${line.target ?? ''}`).sort();

    const dry = await scanJson(config, [inbox], true);
    const real = await scanJson(config, [inbox]);

    expect(summary(dry.lines)).toEqual(summary(real.lines));
    expect(summary(real.lines)).toEqual([
      `move ${join(config.library, '2024/2024-08-08/IMG_0004.JPG')}`,
      'skip ',
    ]);
    expect(dry.lines.find((line) => line.action === 'skip')?.reason).toMatch(
      /a different file is already at .*IMG_0004\.JPG; left where it is \(onCollision: skip\)/,
    );
  });
});

describe('RAW and JPEG of one shot arriving seconds apart (issue 19.1)', () => {
  const RAW = join(ROOT, 'test', 'fixtures', 'et_CanonRaw.cr3');
  const FOLDER = '2018/2018-02-21';
  /** The camera's JPEG of the fixture RAW's shot: same moment, as the camera writes both. */
  const jpegOf = (seed: number) =>
    bigJpeg({ date: '2018:02:21 12:08:56', offset: '+00:00', seed }, 200 * 1024);

  /** Copies a file into the inbox as `cp` does over a slow card reader: in chunks. */
  async function slowCopy(bytes: Buffer, path: string): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true });
    const writer = startWriter({ bytes, path, chunk: 32 * 1024, chunkPauseMs: 30 });
    expect(await writer.done).toBe(0);
  }

  /** A first card of another camera put its own IMG_0001.JPG of that day in the library. */
  async function otherCameraFiled(inbox: string, config: Config): Promise<Buffer> {
    const other = await jpegOf(901);
    await slowCopy(other, join(inbox, 'card1', 'IMG_0001.JPG'));
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the first card',
    });
    return other;
  }

  it('a late JPEG joins its filed RAW: same folder, same name, one journal group', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const raw = await readFile(RAW);
    const jpeg = await jpegOf(902);
    await slowCopy(raw, join(inbox, 'card', 'IMG_0001.CR3'));
    await waitFor(async () => (await listFiles(config.library)).length === 1, { what: 'the RAW' });
    await slowCopy(jpeg, join(inbox, 'card', 'IMG_0001.JPG'));
    await waitFor(async () => (await listFiles(config.library)).length === 2, { what: 'the JPEG' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      `${FOLDER}/IMG_0001.CR3`,
      `${FOLDER}/IMG_0001.JPG`,
    ]);
    // `undo --last 1` brings back the shot, both halves.
    const undone = await daemon.undo({ last: 1 });
    expect(undone.undone).toHaveLength(2);
    expect(await listFiles(join(inbox, 'card'))).toEqual(['IMG_0001.CR3', 'IMG_0001.JPG']);
    expect(await readFile(join(inbox, 'card', 'IMG_0001.CR3'))).toEqual(raw);
  });

  it('a second card’s RAW, then its JPEG, keep one suffix beside another camera’s IMG_0001.JPG', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const other = await otherCameraFiled(inbox, config);
    const jpeg = await jpegOf(903);
    await slowCopy(await readFile(RAW), join(inbox, 'card2', 'IMG_0001.CR3'));
    await waitFor(async () => (await listFiles(config.library)).length === 2, { what: 'the RAW' });
    await slowCopy(jpeg, join(inbox, 'card2', 'IMG_0001.JPG'));
    await waitFor(async () => (await listFiles(config.library)).length === 3, { what: 'the JPEG' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      `${FOLDER}/IMG_0001 (1).CR3`,
      `${FOLDER}/IMG_0001 (1).JPG`,
      `${FOLDER}/IMG_0001.JPG`,
    ]);
    expect(await readFile(join(config.library, FOLDER, 'IMG_0001.JPG'))).toEqual(other);
    expect(await readFile(join(config.library, FOLDER, 'IMG_0001 (1).JPG'))).toEqual(jpeg);
    const undone = await daemon.undo({ last: 1 });
    expect(undone.undone.map((row) => basename(row.to)).sort()).toEqual([
      'IMG_0001.CR3',
      'IMG_0001.JPG',
    ]);
    expect(await listFiles(config.library)).toEqual([`${FOLDER}/IMG_0001.JPG`]);
  });

  it('a second card’s JPEG, then its RAW 2.5 s later (past the companion window), likewise', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    await otherCameraFiled(inbox, config);
    const jpeg = await jpegOf(904);
    await slowCopy(jpeg, join(inbox, 'card2', 'IMG_0001.JPG'));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await slowCopy(await readFile(RAW), join(inbox, 'card2', 'IMG_0001.CR3'));
    await waitFor(async () => (await listFiles(config.library)).length === 3, { what: 'both' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      `${FOLDER}/IMG_0001 (1).CR3`,
      `${FOLDER}/IMG_0001 (1).JPG`,
      `${FOLDER}/IMG_0001.JPG`,
    ]);
    expect(await readFile(join(config.library, FOLDER, 'IMG_0001 (1).JPG'))).toEqual(jpeg);
    const undone = await daemon.undo({ last: 1 });
    expect(undone.undone).toHaveLength(2);
  });
});

describe('an iPhone export with an edited copy (issue 19.2)', () => {
  /** The export's files in a staging folder: the Live Photo, its edited copy and edit list. */
  async function iphoneExport(): Promise<string> {
    const staging = await tempDir('photosortd-iphone-');
    const id = '6F2D3E0A-1B2C-4D5E-8F90-A1B2C3D4E5F6';
    // An iPhone JPEG (Apple maker notes, where the still's identifier lives).
    const { still } = await livePhotoHalves(staging, 'IMG_1234.JPG', 'IMG_1234.MOV', {
      still: 'dn_Issue 508.jpg',
      contentId: id,
    });
    await copyFile(still, join(staging, 'IMG_E1234.JPG'));
    // Photos writes the edit as new bytes; the identifier stays.
    exiftoolCli([
      '-q',
      '-overwrite_original',
      '-Software=Photos 8.0',
      join(staging, 'IMG_E1234.JPG'),
    ]);
    await writeFile(join(staging, 'IMG_1234.AAE'), '<?xml version="1.0"?><plist/>');
    return staging;
  }

  it('keeps the video with the original when the MOV, then the edit, then the original arrive', async () => {
    const staging = await iphoneExport();
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const drop = async (names: string[], filed: number) => {
      for (const name of names) await copyFile(join(staging, name), join(inbox, name));
      await waitFor(async () => (await listFiles(config.library)).length >= filed, {
        what: names.join(', '),
      });
      await daemon.idle();
    };
    await drop(['IMG_1234.MOV'], 1);
    await drop(['IMG_E1234.JPG'], 2);
    await drop(['IMG_1234.JPG', 'IMG_1234.AAE'], 4);
    const expected = [
      '2019/2019-07-24/IMG_1234.AAE',
      '2019/2019-07-24/IMG_1234.JPG',
      '2019/2019-07-24/IMG_1234.MOV',
      '2019/2019-07-24/IMG_E1234.JPG',
    ];
    expect(await listFiles(config.library)).toEqual(expected);
    expect(await sha256(join(config.library, expected[2]!))).toBe(
      await sha256(join(staging, 'IMG_1234.MOV')),
    );
    // scan of the same export files it the same way.
    const scanned = await setup();
    await scanJson(scanned.config, [staging]);
    expect(await listFiles(scanned.config.library)).toEqual(expected);
  });
});

describe('places (issues 19.3 and 19.9)', () => {
  /** Places from exiftool's own geolocation data, folders by city. */
  const placed = {
    geocode: { enabled: true, provider: 'exiftool' },
    rules: [{ name: 'default', to: '{year}/{place.city|nowhere}/{name}{ext}' }],
  };

  it('a Takeout photo with an EXIF date but no GPS takes its place from the JSON’s geoData', async () => {
    const { inbox, config } = await setup(placed);
    const { daemon } = await start(config);
    const staging = await tempDir('photosortd-takeout-');
    await writeJpeg(join(staging, 'PXL_20230812.jpg'), { date: '2023:08:12 22:30:00', seed: 95 });
    const json = {
      title: 'PXL_20230812.jpg',
      photoTakenTime: { timestamp: '1691875800' },
      geoData: { latitude: 38.7223, longitude: -9.1393, altitude: 0 },
    };
    await writeFile(join(staging, 'PXL_20230812.jpg.json'), JSON.stringify(json));
    // Unzipped Takeout: the photo and its JSON land in the inbox together.
    await copyFile(join(staging, 'PXL_20230812.jpg'), join(inbox, 'PXL_20230812.jpg'));
    await copyFile(join(staging, 'PXL_20230812.jpg.json'), join(inbox, 'PXL_20230812.jpg.json'));
    await waitFor(async () => (await listFiles(config.library)).length === 2, { what: 'both' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2023/Lisbon/PXL_20230812.jpg',
      '2023/Lisbon/PXL_20230812.jpg.json',
    ]);
  });

  it('a video split off from a same-named photo is filed by its own place', async () => {
    const { inbox, config } = await setup(placed);
    const { daemon, events } = await start(config);
    const staging = await tempDir('photosortd-split-');
    // Two shots that share a name: a photo of 2021 and a video of 2019 with its own GPS.
    await writeJpeg(join(staging, 'MVI_0042.JPG'), { date: '2021:01:01 10:00:00', seed: 96 });
    await copyFile(
      join(ROOT, 'test', 'fixtures', 'dn_with-gps.mov'),
      join(staging, 'MVI_0042.MOV'),
    );
    for (const name of ['MVI_0042.JPG', 'MVI_0042.MOV']) {
      await copyFile(join(staging, name), join(inbox, name));
    }
    await waitFor(async () => (await listFiles(config.library)).length === 2, { what: 'both' });
    await daemon.idle();
    // Its city, as its own GPS gives it (the photo has none).
    const video = fileEvents(events).find((event) => event.source.endsWith('.MOV'));
    const city = video?.place?.city;
    expect(city).toBeTruthy();
    expect(await listFiles(config.library)).toEqual([
      `2019/${city}/MVI_0042.MOV`,
      '2021/nowhere/MVI_0042.JPG',
    ]);
  });
});

describe('a write that stalls longer than settle (issue 19.5)', () => {
  it('is not filed until its writer has written the rest and closed it', async () => {
    const { inbox, config } = await setup();
    const { daemon, events } = await start(config);
    const bytes = await bigJpeg({ date: '2024:09:09 09:09:09', seed: 97 }, 600 * 1024);
    // An SMB copy over Wi-Fi: 300 KB, a stall of several settle periods (and past the
    // companion window), then the rest, through one open descriptor.
    const writer = startWriter({
      bytes,
      path: join(inbox, 'IMG_5005.JPG'),
      chunk: 100 * 1024,
      stallAfter: 300 * 1024,
      stallMs: 5000,
    });
    expect(await writer.done).toBe(0);
    const target = join(config.library, '2024/2024-09-09/IMG_5005.JPG');
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the complete file',
    });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual(['2024/2024-09-09/IMG_5005.JPG']);
    expect(await readFile(target)).toEqual(bytes);
    const moved = fileEvents(events).filter((event) => event.action === 'move');
    expect(moved).toHaveLength(1);
    // The journal holds the hash of the whole file: undo takes it back, byte for byte.
    const undone = await daemon.undo({ last: 1 });
    expect(undone.refused).toEqual([]);
    expect(await readFile(join(inbox, 'IMG_5005.JPG'))).toEqual(bytes);
  });

  it('records the final bytes of a file its writer kept writing into after it was filed', async () => {
    const { inbox, config } = await setup();
    const { daemon, events } = await start(config);
    const first = await bigJpeg({ date: '2024:09:10 10:10:10', seed: 99 }, 200 * 1024);
    const rest = randomBytes(300 * 1024);
    const whole = Buffer.concat([first, rest]);
    // The writer closes the file (so it settles and nothing has it open for writing), keeps
    // a read handle, and once the daemon has filed it appends the rest through that handle:
    // into the library copy, as a file server holding a handle across a rename does.
    const writer = startWriter({
      bytes: first,
      path: join(inbox, 'IMG_5006.JPG'),
      chunk: 50 * 1024,
      chunkPauseMs: 100,
      appendAfterMove: rest,
    });
    expect(await writer.done).toBe(0);
    const target = join(config.library, '2024/2024-09-10/IMG_5006.JPG');
    expect(await readFile(target)).toEqual(whole);
    // The journal's row (and so undo) comes to hold the final bytes once they settle.
    const filed = () => daemon.journal(10).find((row) => row.op === 'move');
    await waitFor(async () => filed()?.hash === digest(whole), {
      what: 'the journal row to take the final bytes',
      timeoutMs: 30_000,
    });
    expect(filed()).toMatchObject({ size: whole.length, target });
    expect(filed()?.details?.changedAfterFiling).toMatchObject([
      { hash: digest(first), size: first.length },
    ]);
    // Duplicate detection knows the final bytes: the same file dropped again is a duplicate.
    await writeFile(join(inbox, 'copy.jpg'), whole);
    const duplicate = await waitFor(
      () => fileEvents(events).find((event) => event.source === join(inbox, 'copy.jpg')),
      { what: 'the copy to be handled' },
    );
    expect(duplicate).toMatchObject({ action: 'duplicate' });
    expect(await listFiles(inbox)).toEqual(['copy.jpg']);
    await rm(join(inbox, 'copy.jpg'));
    const undone = await daemon.undo({ last: 1 });
    expect(undone.refused).toEqual([]);
    expect(await readFile(join(inbox, 'IMG_5006.JPG'))).toEqual(whole);
  }, 60_000);
});

describe('dropping the same files again after an undo (issue 19.7)', () => {
  it('files the copies dropped again, leaves the untouched file undo put back, and says so in status', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const staging = await tempDir('photosortd-card-');
    for (let i = 1; i <= 3; i++) {
      await writeJpeg(join(staging, `IMG_000${i}.JPG`), {
        date: '2024:10:10 10:10:10',
        seed: 300 + i,
      });
      await copyFile(join(staging, `IMG_000${i}.JPG`), join(inbox, `IMG_000${i}.JPG`));
    }
    await waitFor(async () => (await listFiles(config.library)).length === 3, { what: 'three' });
    await daemon.idle();
    const undone = await daemon.undo({ all: true });
    expect(undone.undone).toHaveLength(3);
    await waitFor(() => daemon.status().holding.count === 3, { what: 'three files held' });
    expect(daemon.status().holding.files[0]?.reason).toMatch(/put back here by undo/);
    expect(await listFiles(config.library)).toEqual([]);

    // The user copies the card again: `cp` writes two of the files anew, same names, same bytes.
    for (const name of ['IMG_0001.JPG', 'IMG_0002.JPG']) {
      execFileSync('cp', [join(staging, name), join(inbox, name)]);
    }
    await waitFor(async () => (await listFiles(config.library)).length === 2, {
      what: 'the copies dropped again',
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2024/2024-10-10/IMG_0001.JPG',
      '2024/2024-10-10/IMG_0002.JPG',
    ]);
    expect(await listFiles(inbox)).toEqual(['IMG_0003.JPG']);
    expect(daemon.status().holding).toMatchObject({
      count: 1,
      files: [{ source: join(inbox, 'IMG_0003.JPG') }],
    });
  });
});

describe('Takeout in the daemon (issue 19.3)', () => {
  it('joins a JSON whose name Takeout cut short to its photo, and dates the photo by it', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const staging = await tempDir('photosortd-takeout-');
    // Google stripped the date from the bytes; the JSON's name is cut at 51 characters,
    // inside the photo's own name.
    const media = 'Screenshot_20230812-213000_A Long Application Name.jpg';
    const json = `${media.slice(0, 46)}.json`;
    await writeJpeg(join(staging, media), { seed: 98 });
    // 2023-08-12 21:30:00 UTC, in Lisbon (no zone lookup without geoData: machine's zone).
    await writeFile(
      join(staging, json),
      JSON.stringify({ title: media, photoTakenTime: { timestamp: '1691875800' } }),
    );
    // Unzipped: the JSON lands first, then the photo.
    await copyFile(join(staging, json), join(inbox, json));
    await copyFile(join(staging, media), join(inbox, media));
    await waitFor(async () => (await listFiles(config.library)).length === 2, { what: 'both' });
    await daemon.idle();
    const day = new Date(1691875800 * 1000).toLocaleDateString('sv-SE');
    expect(await listFiles(config.library)).toEqual([
      `2023/${day}/${media}`,
      `2023/${day}/${media}.json`,
    ]);
    const undone = await daemon.undo({ last: 1 });
    expect(undone.undone).toHaveLength(2);
  });
});

describe('a Takeout JSON that arrives after its photo (issue 19.3)', () => {
  it('dates the photo filed to Unsorted, files the JSON beside it, and undo puts both back', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const staging = await tempDir('photosortd-takeout-late-');
    // Google stripped the date from the bytes; the zips came apart: the photo in the first,
    // its JSON in the second, unzipped a while later.
    await writeJpeg(join(staging, 'beach.jpg'), { seed: 77 });
    const photoBytes = await readFile(join(staging, 'beach.jpg'));
    const jsonText = JSON.stringify({
      title: 'beach.jpg',
      photoTakenTime: { timestamp: '1691875800' },
    });
    await writeFile(join(staging, 'beach.jpg.json'), jsonText);
    // Copied now, its mtime is the copy's: no date, so it goes to Unsorted.
    await copyFile(join(staging, 'beach.jpg'), join(inbox, 'beach.jpg'));
    await waitFor(async () => (await listFiles(config.library)).includes('Unsorted/beach.jpg'), {
      what: 'the undated photo filed to Unsorted',
    });
    await daemon.idle();

    await copyFile(join(staging, 'beach.jpg.json'), join(inbox, 'beach.jpg.json'));
    const day = new Date(1691875800 * 1000).toLocaleDateString('sv-SE');
    const dated = [`2023/${day}/beach.jpg`, `2023/${day}/beach.jpg.json`];
    await waitFor(async () => (await listFiles(config.library)).join() === dated.join(), {
      what: 'the photo moved to the JSON’s date, with its JSON',
    });
    await daemon.idle();
    expect(await readFile(join(config.library, dated[0]!))).toEqual(photoBytes);
    expect(await listFiles(inbox)).toEqual([]);
    // A sidecar arriving after that follows the photo to where it is now.
    await writeFile(join(inbox, 'beach.xmp'), '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
    await waitFor(async () => (await listFiles(config.library)).length === 3, { what: 'XMP' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([...dated, `2023/${day}/beach.xmp`]);

    const undone = await daemon.undo({ last: 1 });
    expect(undone.refused).toEqual([]);
    expect(undone.undone).toHaveLength(4);
    expect(await listFiles(config.library)).toEqual([]);
    expect(await listFiles(inbox)).toEqual(['beach.jpg', 'beach.jpg.json', 'beach.xmp']);
    expect(await readFile(join(inbox, 'beach.jpg'))).toEqual(photoBytes);
    expect(await readFile(join(inbox, 'beach.jpg.json'), 'utf8')).toBe(jsonText);
  }, 60_000);

  it('files the JSON beside its numbered photo when its date puts the photo where it is', async () => {
    const { inbox, config } = await setup();
    const { daemon } = await start(config);
    const staging = await tempDir('photosortd-takeout-same-');
    // Kept with their times (`cp -p`), both are dated by an mtime of 2023-08-12 21:30 UTC.
    const taken = new Date(1691875800 * 1000);
    const day = taken.toLocaleDateString('sv-SE');
    const folder = `2023/${day}`;
    const keepTimes = async (from: string, to: string) => {
      await copyFile(from, `${to}.part`);
      await utimes(`${to}.part`, taken, taken);
      await rename(`${to}.part`, to);
    };
    // Another beach.jpg (different bytes) was filed first: this one is `beach (1).jpg`.
    await writeJpeg(join(staging, 'other.jpg'), { seed: 78 });
    await mkdir(join(inbox, 'earlier'));
    await keepTimes(join(staging, 'other.jpg'), join(inbox, 'earlier', 'beach.jpg'));
    await waitFor(async () => (await listFiles(config.library)).length === 1, { what: 'other' });
    await writeJpeg(join(staging, 'beach.jpg'), { seed: 79 });
    await keepTimes(join(staging, 'beach.jpg'), join(inbox, 'beach.jpg'));
    await waitFor(async () => (await listFiles(config.library)).length === 2, { what: 'beach' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      `${folder}/beach (1).jpg`,
      `${folder}/beach.jpg`,
    ]);
    // Its JSON gives the same moment: the rules put it where it is.
    const json = JSON.stringify({ photoTakenTime: { timestamp: '1691875800' } });
    await writeFile(join(inbox, 'beach.jpg.json'), json);
    await waitFor(async () => (await listFiles(config.library)).length === 3, { what: 'JSON' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      `${folder}/beach (1).jpg`,
      `${folder}/beach (1).jpg.json`,
      `${folder}/beach.jpg`,
    ]);
    // The photo was not moved again: its group is its first move and the JSON's.
    const undone = await daemon.undo({ last: 1 });
    expect(undone.refused).toEqual([]);
    expect(undone.undone.map((item) => basename(item.to))).toEqual(['beach.jpg.json', 'beach.jpg']);
    expect(await listFiles(inbox)).toEqual(['beach.jpg', 'beach.jpg.json']);
    expect(await readFile(join(inbox, 'beach.jpg'))).toEqual(
      await readFile(join(staging, 'beach.jpg')),
    );
  }, 60_000);
});

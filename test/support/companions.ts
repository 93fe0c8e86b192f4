import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scan } from '../../src/cli/scan.js';
import type { Config } from '../../src/config/load.js';
import { Journal } from '../../src/journal/journal.js';
import { undo } from '../../src/journal/undo.js';
import { silentLogger } from '../../src/lib/logger.js';
import { capturedStream } from './captured.js';
import { ROOT } from './cli.js';

/** The exiftool that exiftool-vendored ships, run as a user would from a shell. */
const EXIFTOOL = join(ROOT, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool');

/** Runs `exiftool ARGS...` (e.g. `-o IMG_1.xmp IMG_1.jpg` to make a sidecar); returns stdout. */
export function exiftoolCli(args: string[]): string {
  return execFileSync(EXIFTOOL, args, { encoding: 'utf8' });
}

/** One line of `scan --json`. */
export type ScanLine = Record<string, unknown> & {
  source: string;
  target: string | null;
  action: string;
};

/** Runs `scan --json` in this process on `dirs`; returns its exit status and lines. */
export async function scanJson(
  config: Config,
  dirs: string[],
  dryRun = false,
): Promise<{ code: number; lines: ScanLine[] }> {
  const { stream: out, text } = capturedStream();
  const code = await scan({ config, dirs, dryRun, json: true, logger: silentLogger(), out });
  const lines = text()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScanLine);
  return { code, lines };
}

/**
 * exiftool will not add a tag to existing maker notes (Apple's own ContentIdentifier is
 * "permanent" there); this config lifts that for the one tag, so a test can give a real
 * iPhone photo the identifier an iPhone writes, in the same place (maker note tag 0x0011).
 */
const APPLE_CONTENT_ID_CONFIG = `%Image::ExifTool::UserDefined = (
    'Image::ExifTool::Apple::Main' => {
        0x0011 => { Name => 'ContentIdentifier', Writable => 'string', Permanent => 0 },
    },
);
1;
`;

/**
 * Writes Apple's Live Photo ContentIdentifier into `file` as an iPhone does: in the maker
 * notes of a still (which must already have Apple maker notes), in the QuickTime keys of a
 * video (`.mov`, `.mp4`).
 */
export async function setContentIdentifier(file: string, id: string): Promise<void> {
  if (/\.(mov|mp4)$/i.test(file)) {
    exiftoolCli(['-q', '-overwrite_original', `-Keys:ContentIdentifier=${id}`, file]);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'photosortd-apple-'));
  const config = join(dir, 'apple.config');
  await writeFile(config, APPLE_CONTENT_ID_CONFIG);
  try {
    exiftoolCli([
      '-config',
      config,
      '-q',
      '-m',
      '-overwrite_original',
      `-Apple:ContentIdentifier=${id}`,
      file,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Options of {@link livePhotoHalves}. */
export interface LivePhotoOptions {
  /** The still's fixture (in test/fixtures); a ContentIdentifier needs Apple maker notes. */
  still?: string;
  /** Apple's ContentIdentifier, written into both halves. */
  contentId?: string;
}

/**
 * The two halves of a Live Photo as an iPhone leaves them: the still taken at 01:30 on
 * 24 July 2019 in a +03:00 zone, the video (a real iPhone MOV) whose QuickTime CreateDate is
 * the same moment in UTC (22:30 on the 23rd) and which carries no position to find the zone
 * from. Named `stillName` and `videoName` in `folder`; returns their paths.
 */
export async function livePhotoHalves(
  folder: string,
  stillName: string,
  videoName: string,
  options: LivePhotoOptions = {},
): Promise<{ still: string; video: string }> {
  await mkdir(folder, { recursive: true });
  const still = join(folder, stillName);
  const video = join(folder, videoName);
  await copyFile(join(FIXTURES, options.still ?? join('tagging', 'blue-from-png.heic')), still);
  await copyFile(join(FIXTURES, 'dn_with-gps.mov'), video);
  exiftoolCli([
    '-q',
    '-m',
    '-overwrite_original',
    '-DateTimeOriginal=2019:07:24 01:30:00',
    '-SubSecTimeOriginal=',
    '-OffsetTimeOriginal=+03:00',
    still,
  ]);
  exiftoolCli([
    '-q',
    '-overwrite_original',
    '-QuickTime:CreateDate=2019:07:23 22:30:00',
    '-Keys:all=',
    '-GPSCoordinates=',
    video,
  ]);
  if (options.contentId) {
    await setContentIdentifier(still, options.contentId);
    await setContentIdentifier(video, options.contentId);
  }
  return { still, video };
}

/** Undoes the newest `groups` journal groups of a project, as `undo --last N` does. */
export async function undoLast(config: Config, groups = 1): Promise<ReturnType<typeof undo>> {
  const journal = Journal.open(config.state);
  try {
    return await undo(journal, { last: groups }, { library: config.library });
  } finally {
    journal.close();
  }
}

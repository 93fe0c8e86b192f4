import { describe, expect, it } from 'vitest';
import type { CaptureDate } from '../src/lib/media.js';
import { withGroupDate } from '../src/pipeline/groups/group-date.js';
import type { FileJob } from '../src/pipeline/job.js';
import { captureDate, fileJob, photoMeta } from './support/records.js';

/*
 * The group's date choice on records as the exif stage leaves them; the files themselves are
 * in test/dates.test.ts (a real HEIC stripped of its dates beside a real MOV).
 */

const member = (name: string, takenAt: CaptureDate | null): FileJob =>
  fileJob(`/inbox/${name}`, { kind: 'photo', meta: photoMeta({ takenAt }) });

const group = (primary: FileJob, ...companions: FileJob[]): FileJob => ({
  ...primary,
  companions,
});

const recorded = captureDate({ source: 'QuickTime:CreateDate', year: 2019, offsetMinutes: 180 });

describe('withGroupDate', () => {
  it('gives a still with no date the first date a member records, naming the member', () => {
    const job = withGroupDate(
      group(
        member('IMG_1.HEIC', null),
        member('IMG_1.DNG', captureDate({ source: 'mtime' })),
        member('IMG_1.MOV', recorded),
      ),
    );
    expect(job.meta?.takenAt).toEqual({
      ...recorded,
      source: 'QuickTime:CreateDate of IMG_1.MOV',
    });
  });

  it('prefers a recorded date of a member to the still’s name or mtime', () => {
    for (const source of ['mtime', 'filename']) {
      const still = member('IMG_1.HEIC', captureDate({ source, year: 2026 }));
      const job = withGroupDate(group(still, member('IMG_1.MOV', recorded)));
      expect(job.meta?.takenAt?.year).toBe(2019);
    }
  });

  it('keeps the still’s own recorded date, and a group no member can date', () => {
    const still = member('IMG_1.HEIC', captureDate({ source: 'ExifIFD:DateTimeOriginal' }));
    const dated = group(still, member('IMG_1.MOV', recorded));
    expect(withGroupDate(dated)).toBe(dated);
    const undated = group(member('IMG_1.HEIC', null), member('IMG_1.MOV', null));
    expect(withGroupDate(undated)).toBe(undated);
  });

  it('takes nothing from a member whose reading failed', () => {
    const failed = {
      ...member('IMG_1.MOV', recorded),
      error: { code: 'UNREADABLE', stage: 'exif', message: 'x' },
    };
    const job = group(member('IMG_1.HEIC', null), failed);
    expect(withGroupDate(job).meta?.takenAt).toBeNull();
  });
});

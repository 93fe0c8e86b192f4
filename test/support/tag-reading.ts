import { expect } from 'vitest';
import type { RawTags } from '../../src/lib/exiftool.js';
import { hashFileSeeing, sampleFileSeeing } from '../../src/lib/hash.js';
import { readTagsNatively } from '../../src/lib/tag-reader/index.js';
import { READ_ARGS } from '../../src/pipeline/exif.js';

/**
 * The in-process reader's answer for `file` (READ_ARGS), after asserting it is the same,
 * keys in order, when the reader starts from the bytes identify's hash or sample saw (as in
 * the pipeline) as when it opens the file itself.
 */
export async function readNativelyEveryWay(file: string): Promise<RawTags | null> {
  const opened = await readTagsNatively(file, READ_ARGS);
  for (const { seen } of [await hashFileSeeing(file), await sampleFileSeeing(file)]) {
    const fromSeen = await readTagsNatively(file, READ_ARGS, seen);
    expect({ file, tags: fromSeen && Object.entries(fromSeen) }).toEqual({
      file,
      tags: opened && Object.entries(opened),
    });
  }
  return opened;
}

import { afterAll, beforeAll } from 'vitest';
import {
  MOUNT_KINDS,
  mountLibraryFs,
  whyNoMount,
  type LibraryMount,
  type MountKind,
} from '../../bench/lib/mounts.js';

export { MOUNT_KINDS, whyNoMount, type LibraryMount, type MountKind };

/**
 * Mounts a filesystem of `kind` for the suite that calls this (in beforeAll) and always
 * unmounts it, detaching its loop device, in afterAll. Returns a getter for the mount. When
 * the machine cannot make the mount, says why on stderr; the caller skips with
 * `describe.skipIf(whyNoMount(kind))`.
 */
export function useMount(kind: MountKind): () => LibraryMount {
  const why = whyNoMount(kind);
  if (why) console.warn(`skipping the ${kind} library suite: ${why}`);
  let mount: LibraryMount | undefined;
  beforeAll(async () => {
    if (!why) mount = await mountLibraryFs(kind);
  }, 60_000);
  afterAll(async () => {
    await mount?.unmount();
  }, 60_000);
  return () => {
    if (!mount) throw new Error(`the ${kind} mount was not made`);
    return mount;
  };
}

/**
 * The library filesystem the fault suite and the crash trial run on: `PHOTOSORTD_TEST_LIBRARY`
 * = `exfat` or `rclone`, or a plain folder when unset.
 */
export function libraryKindFromEnv(): MountKind | undefined {
  const kind = process.env.PHOTOSORTD_TEST_LIBRARY;
  if (!kind) return undefined;
  if (!(MOUNT_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`PHOTOSORTD_TEST_LIBRARY=${kind}: use exfat or rclone`);
  }
  return kind as MountKind;
}

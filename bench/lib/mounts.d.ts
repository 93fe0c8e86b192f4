/** The kinds of mount {@link mountLibraryFs} makes. */
export const MOUNT_KINDS: readonly ['exfat', 'rclone'];
export type MountKind = 'exfat' | 'rclone';

/** Why a mount of `kind` cannot be made here (for a skip message), or `undefined`. */
export function whyNoMount(kind: string): string | undefined;

/** A mounted filesystem; `unmount()` unmounts it and removes its image or folders. */
export interface LibraryMount {
  kind: MountKind;
  dir: string;
  unmount(): Promise<void>;
}

/** Mounts a fresh exFAT image (loop device + exfat-fuse) or an rclone mount of a local folder. */
export function mountLibraryFs(
  kind: MountKind,
  options?: { sizeMb?: number },
): Promise<LibraryMount>;

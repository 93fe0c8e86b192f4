import picomatch from 'picomatch';

/** A name pattern of a file another program is still writing, and who writes it. */
interface InProgressPattern {
  /** picomatch glob on the file name, case-insensitive. */
  glob: string;
  tool: string;
}

/**
 * Names of files still being downloaded, synced or copied: they are renamed to their final
 * name once complete, and filing one under its temporary name would break the tool's rename
 * (and file half a photo). Extended with the configuration's `inProgress` globs. Hidden
 * files (a leading dot) are skipped anyway; their rows say whose they are.
 */
const IN_PROGRESS_PATTERNS: readonly InProgressPattern[] = Object.freeze([
  { glob: '.syncthing.*.tmp', tool: 'Syncthing' },
  { glob: '~syncthing~*.tmp', tool: 'Syncthing (Windows)' },
  { glob: '*.crdownload', tool: 'Chrome, Edge, Brave' },
  { glob: '*.part', tool: 'Firefox, Transmission, WebDAV clients (Nextcloud)' },
  { glob: '*.partial', tool: 'older browsers, IE' },
  { glob: '*.download', tool: 'Safari' },
  { glob: '*.!sync', tool: 'Resilio Sync (BitTorrent Sync)' },
  { glob: '*.!qb', tool: 'qBittorrent' },
  { glob: '*.!ut', tool: 'µTorrent' },
  { glob: '.~*', tool: 'Nextcloud / ownCloud desktop client' },
  { glob: '.*.~*', tool: 'Nextcloud / ownCloud desktop client' },
  { glob: '.*.??????', tool: 'rsync (.NAME.XXXXXX)' },
  { glob: '.dropbox*', tool: 'Dropbox' },
  { glob: '*.tmp', tool: 'OneDrive, Google Drive, Windows copies' },
  { glob: '~$*', tool: 'Microsoft Office' },
]);

/** Whether a file name is one being written: a built-in or configured in-progress pattern. */
export type InProgressMatcher = (name: string) => boolean;

/** The matcher of {@link IN_PROGRESS_PATTERNS} plus `extra` globs (the config's `inProgress`). */
export function inProgressMatcher(extra: readonly string[] = []): InProgressMatcher {
  return picomatch([...IN_PROGRESS_PATTERNS.map((pattern) => pattern.glob), ...extra], {
    nocase: true,
    dot: true,
  });
}

/** The built-in patterns alone, which the watchers skip before any `lstat`. */
export const isInProgressName: InProgressMatcher = inProgressMatcher();

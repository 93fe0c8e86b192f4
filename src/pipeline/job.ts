/**
 * The record that flows through the pipeline. Each stage takes a `FileJob` and returns it
 * enriched; a stage never mutates the record it was given.
 */

/** What a file holds, decided from its content (not its extension). */
export type MediaKind = 'photo' | 'video' | 'other';

/** What the pipeline decided to do (or, with `--dry-run`, would do) with a file. */
export type Action = 'move' | 'unsorted' | 'duplicate' | 'skip' | 'error';

/**
 * A capture time as the camera's clock showed it, in the local time of where the photo was
 * taken. `offsetMinutes` is set only when the zone is known (offset tags, GPS time zone);
 * otherwise the wall-clock fields are all there is and they are not to be shifted.
 */
export interface CaptureDate {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC, or `null` when the zone is unknown. */
  offsetMinutes: number | null;
  /** IANA zone name when it was found (e.g. from the GPS position). */
  zone: string | null;
  /** Which tag or source won, e.g. `ExifIFD:DateTimeOriginal`, `filename`, `mtime`. */
  source: string;
}

/** A GPS position in decimal degrees, already checked to be plausible. */
export interface GpsPosition {
  lat: number;
  lon: number;
}

/** The metadata photosortd uses, read once per file. */
export interface PhotoMeta {
  /** File type detected from content by exiftool, e.g. `JPEG`, `HEIC`, `MOV`. */
  fileType: string | null;
  mimeType: string | null;
  takenAt: CaptureDate | null;
  camera: { make: string | null; model: string | null };
  gps: GpsPosition | null;
  orientation: number | null;
  width: number | null;
  height: number | null;
  /** Apple's ContentIdentifier, which pairs a Live Photo's still and its video. */
  contentId: string | null;
  /** Things a person may want to know, e.g. "DateTimeOriginal 0000:00:00 rejected". */
  warnings: string[];
}

/** A place name, in English, for a GPS position. */
export interface Place {
  city: string | null;
  region: string | null;
  country: string | null;
  /** ISO 3166-1 alpha-2. */
  countryCode: string | null;
}

/** One AI tag with its score (cosine similarity after softmax, 0..1). */
export interface Tag {
  label: string;
  score: number;
}

/** Where a file goes and why. */
export interface Plan {
  action: Action;
  /** Name of the rule that matched, or `null` for unsorted/duplicate/error. */
  rule: string | null;
  /** Absolute target path, or `null` when the file stays where it is. */
  target: string | null;
  /** For `duplicate`: the library file with the same content. */
  duplicateOf?: string;
  /** Why the action was chosen, for `unsorted`, `skip`, `duplicate` and `error`. */
  reason?: string;
}

/** An error attached to a job: a code for programs, a message for people. */
export interface JobError {
  code: string;
  message: string;
  stage: string;
}

/** The record each stage enriches. */
export interface FileJob {
  /** Absolute path of the file in the inbox. */
  source: string;
  /** The inbox (or scanned directory) it was found under. */
  root: string;
  size: number;
  mtimeMs: number;
  /** SHA-256 of the content, hex. */
  hash?: string;
  kind?: MediaKind;
  meta?: PhotoMeta;
  place?: Place | null;
  tags?: Tag[] | null;
  plan?: Plan;
  error?: JobError | null;
  /**
   * Files filed with this one, into its folder under its name (sidecars, the RAW of a JPEG,
   * a Live Photo's video). They run identify and exif; this file's date decides for all.
   */
  companions?: FileJob[];
  /**
   * Set on a companion the planner split from its group (a video with its photo's name but
   * taken at another moment): it was planned, and is filed, as a file of its own.
   */
  detached?: boolean;
  /** The journal group the move joins (a late sidecar joins the group of its file). */
  group?: string;
}

/** A pipeline stage: a function of the record that returns it enriched. */
export type Stage = (job: FileJob) => Promise<FileJob>;

/**
 * The value types that describe a photo or video: what it is, when and where it was taken,
 * what it shows. They are plain data, shared by the pipeline, the journal, geocoding, tagging
 * and the API, which is why they live here and not with any of them.
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

/** A date the file carried that was not taken as its capture date, and why. */
export interface DateRejection {
  /** The tag (`ExifIFD:DateTimeOriginal`) or `mtime`. */
  source: string;
  /** The value as the file holds it. */
  value: string;
  /** Why it is no capture date, for a person: "in the future", "the time of a copy". */
  reason: string;
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
  /** The date candidates passed over before `takenAt` was chosen (or all, when none was). */
  dateRejected: DateRejection[];
}

/** The metadata of a file nothing could be read from: every field unknown. */
export function unknownPhotoMeta(): PhotoMeta {
  return {
    fileType: null,
    mimeType: null,
    takenAt: null,
    camera: { make: null, model: null },
    gps: null,
    orientation: null,
    width: null,
    height: null,
    contentId: null,
    warnings: [],
    dateRejected: [],
  };
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

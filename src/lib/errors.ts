/**
 * Errors that reach a user carry a stable `code` for programs and a message written for a
 * person: what went wrong, with which file or key, and what to do about it.
 */
export class PhotosortdError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PhotosortdError';
    this.code = code;
  }
}

/** The configuration is unusable; `problems` holds one line per bad key. */
export class ConfigError extends PhotosortdError {
  readonly problems: string[];

  constructor(file: string | null, problems: string[]) {
    const where = file ? `Configuration ${file}` : 'Configuration';
    super('CONFIG_INVALID', `${where} is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The error's code when it has one (ours or Node's `errno` codes), else `ERROR`. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'ERROR';
}

/** A one-line message for any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

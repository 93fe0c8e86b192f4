import path from 'node:path';
import { PhotosortdError } from '../lib/errors.js';
import { isInside, sanitizeSegment, sanitizeText } from '../lib/sanitize.js';
import type { FileJob } from './job.js';

/**
 * Path templates such as `{year}/{date} {place.city|Elsewhere}/{name}{ext}`: parsed once
 * when the configuration loads, rendered per file into a path that cannot leave the library
 * whatever the file's metadata says.
 */

/** Every token a template may use, in the order error messages list them. */
export const TEMPLATE_TOKENS = [
  'year',
  'month',
  'day',
  'date',
  'hour',
  'minute',
  'name',
  'ext',
  'kind',
  'camera.make',
  'camera.model',
  'place.city',
  'place.region',
  'place.country',
  'place.countryCode',
  'tag',
] as const;

/** The name of a template token, e.g. `place.city`. */
type TemplateToken = (typeof TEMPLATE_TOKENS)[number];

/** The raw (unsanitised) text of every token for one file; `''` when unknown. */
export type TemplateValues = Readonly<Record<TemplateToken, string>>;

/** A piece of a template segment: literal text, or a token with its fallback text. */
type TemplatePart =
  { readonly literal: string } | { readonly token: TemplateToken; readonly fallback: string };

/** A parsed template: its text and its segments (the parts between `/`). */
export interface CompiledTemplate {
  readonly source: string;
  readonly segments: readonly (readonly TemplatePart[])[];
}

/** Name given to a file when a template and the file's own name both render empty. */
const LAST_RESORT_NAME = 'unnamed';

const KNOWN_TOKENS = new Set<string>(TEMPLATE_TOKENS);

function isToken(name: string): name is TemplateToken {
  return KNOWN_TOKENS.has(name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownTokenMessage(name: string): string {
  const lower = name.toLowerCase();
  const closest = TEMPLATE_TOKENS.map((token) => ({
    token,
    distance: editDistance(lower, token.toLowerCase()),
  })).sort((a, b) => a.distance - b.distance)[0]!;
  const hint = closest.distance <= 2 ? ` (did you mean {${closest.token}}?)` : '';
  const shown = name === '' ? 'an empty token {}' : `an unknown token {${name}}`;
  const known = TEMPLATE_TOKENS.map((token) => `{${token}}`).join(' ');
  return `uses ${shown}${hint}. Known tokens: ${known}; {token|text} gives text for an empty token`;
}

function invalid(template: string, problem: string): PhotosortdError {
  return new PhotosortdError('TEMPLATE_INVALID', `Template "${template}" ${problem}.`);
}

/**
 * Parses and checks a path template, to be done once when the configuration loads. Throws
 * a `TEMPLATE_INVALID` error naming the problem: an unknown token (with the known ones
 * listed), a `{` never closed or a `}` never opened, a `\` (folders are separated by `/`),
 * a leading `/` or a `.`/`..` folder (templates are relative to the library).
 */
export function parseTemplate(template: string): CompiledTemplate {
  if (template.startsWith('/')) {
    throw invalid(template, 'starts with "/"; templates are relative to the library, drop it');
  }
  const backslash = template.indexOf('\\');
  if (backslash !== -1) {
    throw invalid(
      template,
      `has a "\\" at character ${backslash + 1}; separate folders with "/" instead`,
    );
  }

  const segments: TemplatePart[][] = [];
  let parts: TemplatePart[] = [];
  let literal = '';
  const flushLiteral = (): void => {
    if (literal !== '') parts.push({ literal });
    literal = '';
  };

  let i = 0;
  while (i < template.length) {
    const char = template[i]!;
    if (char === '/') {
      flushLiteral();
      segments.push(parts);
      parts = [];
      i++;
    } else if (char === '}') {
      throw invalid(template, `has a "}" at character ${i + 1} with no "{" before it`);
    } else if (char === '{') {
      const close = template.indexOf('}', i + 1);
      const nextOpen = template.indexOf('{', i + 1);
      if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
        throw invalid(
          template,
          `has a "{" at character ${i + 1} that is not closed by "}"; write tokens as {year}`,
        );
      }
      const inner = template.slice(i + 1, close);
      const bar = inner.indexOf('|');
      const name = (bar === -1 ? inner : inner.slice(0, bar)).trim();
      if (!isToken(name)) throw invalid(template, unknownTokenMessage(name));
      flushLiteral();
      parts.push({ token: name, fallback: bar === -1 ? '' : inner.slice(bar + 1) });
      i = close + 1;
    } else {
      literal += char;
      i++;
    }
  }
  flushLiteral();
  segments.push(parts);

  for (const segment of segments) {
    const text = segment.map((part) => ('literal' in part ? part.literal : '{}')).join('');
    if (text.trim() === '.' || text.trim() === '..') {
      throw invalid(
        template,
        `has a "${text.trim()}" folder; templates are relative to the library and stay in it`,
      );
    }
  }
  return { source: template, segments };
}

function renderPart(part: TemplatePart, values: TemplateValues): string {
  if ('literal' in part) return part.literal;
  const value = sanitizeText(values[part.token]).trim();
  // A value with nothing a segment can keep (only dots, only invisible characters) is empty.
  return sanitizeSegment(value) === '' ? sanitizeText(part.fallback) : value;
}

/**
 * Renders a template for one file into a path RELATIVE to the library, segments joined by
 * `/`. Every segment is sanitised ({@link sanitizeSegment}), so no value can add a folder
 * or climb out; segments left empty disappear, and the last one is the file name (its
 * extension kept when cut to 255 bytes). Never empty: when everything renders empty the
 * result is the file's own name.
 */
export function renderTemplate(template: CompiledTemplate, values: TemplateValues): string {
  const last = template.segments.length - 1;
  const rendered = template.segments
    .map((parts, index) =>
      sanitizeSegment(parts.map((part) => renderPart(part, values)).join(''), {
        keepExtension: index === last,
      }),
    )
    .filter((segment) => segment !== '');
  if (rendered.length > 0) return rendered.join('/');
  const ownName = `${values.name}${values.ext}`;
  return sanitizeSegment(ownName, { keepExtension: true }) || LAST_RESORT_NAME;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * The token values of a job. Dates are the capture's wall-clock fields as read (already
 * local time), zero-padded, and empty when there is no date; `{name}` and `{ext}` come from
 * the source file's name, `{ext}` with its dot and its case; `{tag}` is the best AI tag.
 */
export function templateValues(job: FileJob): TemplateValues {
  const fileName = path.basename(job.source);
  const ext = path.extname(fileName);
  const taken = job.meta?.takenAt ?? null;
  const year = taken ? pad(taken.year, 4) : '';
  const month = taken ? pad(taken.month, 2) : '';
  const day = taken ? pad(taken.day, 2) : '';
  return {
    year,
    month,
    day,
    date: taken ? `${year}-${month}-${day}` : '',
    hour: taken ? pad(taken.hour, 2) : '',
    minute: taken ? pad(taken.minute, 2) : '',
    name: fileName.slice(0, fileName.length - ext.length),
    ext,
    kind: job.kind ?? '',
    'camera.make': job.meta?.camera.make ?? '',
    'camera.model': job.meta?.camera.model ?? '',
    'place.city': job.place?.city ?? '',
    'place.region': job.place?.region ?? '',
    'place.country': job.place?.country ?? '',
    'place.countryCode': job.place?.countryCode ?? '',
    tag: job.tags?.[0]?.label ?? '',
  };
}

/**
 * The absolute path a job's file goes to under `library`. It is proven to lie strictly
 * inside the library (never the library itself); if it did not, a `PATH_ESCAPE` error is
 * thrown and nothing should be moved.
 */
export function resolveTarget(library: string, template: CompiledTemplate, job: FileJob): string {
  const root = path.resolve(library);
  const target = path.resolve(root, renderTemplate(template, templateValues(job)));
  if (!isInside(root, target)) {
    throw new PhotosortdError(
      'PATH_ESCAPE',
      `Template "${template.source}" would put ${job.source} at ${target}, which is not inside ` +
        `the library ${root}; the file was left where it is. Check the template and the ` +
        `file's metadata.`,
    );
  }
  return target;
}

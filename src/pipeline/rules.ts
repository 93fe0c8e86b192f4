import path from 'node:path';
import picomatch from 'picomatch';
import type { Rule, RuleWhen } from '../config/schema.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import type { FileJob } from './job.js';
import { parseTemplate, type CompiledTemplate } from './template.js';

/**
 * Filing rules (`rules:` in the configuration): the first rule whose `when` conditions all
 * hold decides the target template. Templates and globs are compiled once, at load.
 */

/** A rule ready to be matched: its name, its template and a test of its conditions. */
export interface CompiledRule {
  readonly name: string;
  readonly template: CompiledTemplate;
  /** Whether every `when` condition of the rule holds for the job. */
  readonly matches: (job: FileJob) => boolean;
}

type Condition = (job: FileJob) => boolean;

function list(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

function fold(text: string): string {
  return text.normalize('NFC').toLowerCase();
}

function withoutDot(ext: string): string {
  return fold(ext.startsWith('.') ? ext.slice(1) : ext);
}

function kindCondition(kinds: NonNullable<RuleWhen['kind']>): Condition {
  const wanted = new Set<string>(list(kinds));
  return (job) => job.kind !== undefined && wanted.has(job.kind);
}

function extCondition(exts: string | string[]): Condition {
  const wanted = new Set(list(exts).map(withoutDot));
  return (job) => wanted.has(withoutDot(path.extname(job.source)));
}

function cameraCondition(cameras: string | string[]): Condition {
  const wanted = list(cameras).map(fold);
  return (job) => {
    const camera = job.meta?.camera;
    const words = [camera?.make, camera?.model].filter((word) => word);
    if (words.length === 0) return false;
    const text = fold(words.join(' '));
    return wanted.some((part) => text.includes(part));
  };
}

function placeCondition(places: string | string[]): Condition {
  const wanted = new Set(list(places).map(fold));
  return (job) => {
    const place = job.place;
    if (!place) return false;
    return [place.countryCode, place.country, place.city].some(
      (name) => name !== null && wanted.has(fold(name)),
    );
  };
}

function tagsCondition(tags: string[]): Condition {
  const wanted = new Set(tags.map(fold));
  return (job) => (job.tags ?? []).some((tag) => wanted.has(fold(tag.label)));
}

function nameCondition(rule: Rule, globs: string | string[]): Condition {
  try {
    const isMatch = picomatch(list(globs), { nocase: true, dot: true });
    return (job) => isMatch(path.basename(job.source));
  } catch (error) {
    throw new PhotosortdError(
      'RULE_INVALID',
      `Rule "${rule.name}": when.name ${JSON.stringify(globs)} is not a usable glob ` +
        `(${errorMessage(error)}); write a pattern such as "IMG_*.jpg".`,
      { cause: error },
    );
  }
}

function conditionsOf(rule: Rule): Condition[] {
  const when = rule.when ?? {};
  const conditions: Condition[] = [];
  if (when.kind !== undefined) conditions.push(kindCondition(when.kind));
  if (when.ext !== undefined) conditions.push(extCondition(when.ext));
  if (when.camera !== undefined) conditions.push(cameraCondition(when.camera));
  if (when.place !== undefined) conditions.push(placeCondition(when.place));
  if (when.tags !== undefined) conditions.push(tagsCondition(when.tags));
  if (when.name !== undefined) conditions.push(nameCondition(rule, when.name));
  return conditions;
}

/**
 * Compiles the configured rules, in order. A bad template throws `TEMPLATE_INVALID` and a
 * bad name glob `RULE_INVALID`, both naming the rule. Conditions: `kind` (photo|video),
 * `ext` (with or without the dot), `camera` (substring of "make model"), `place` (country
 * code, country or city), `tags` (any of the AI tags), `name` (glob on the file name); all
 * compare case-insensitively, a list matches any of its items, and a condition on data the
 * file lacks (no camera, no place, no tags) does not hold.
 */
export function compileRules(rules: Rule[]): CompiledRule[] {
  return rules.map((rule) => {
    let template: CompiledTemplate;
    try {
      template = parseTemplate(rule.to);
    } catch (error) {
      throw new PhotosortdError('TEMPLATE_INVALID', `Rule "${rule.name}": ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const conditions = conditionsOf(rule);
    return {
      name: rule.name,
      template,
      matches: (job) => conditions.every((holds) => holds(job)),
    };
  });
}

/** The first rule whose conditions all hold for the job, or `null` when none does. */
export function matchRule(rules: CompiledRule[], job: FileJob): CompiledRule | null {
  return rules.find((rule) => rule.matches(job)) ?? null;
}

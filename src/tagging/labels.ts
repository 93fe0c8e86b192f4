import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhotosortdError, errorMessage } from '../lib/errors.js';

/** The label list shipped with photosortd, used when the config names none. */
export const DEFAULT_LABELS_FILE = fileURLToPath(
  new URL('../../config/labels.txt', import.meta.url),
);

/** One label per line; blank lines and `#` comments are ignored, duplicates dropped. */
function parseLabelList(text: string): string[] {
  const labels = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.length > 0);
  return [...new Set(labels)];
}

/**
 * The labels `tagging.labels` asks for: a list as written, a file (relative to the config's
 * folder) with one label per line, or, when absent, the shipped default list.
 */
export async function loadLabels(
  value: string[] | string | undefined,
  configDir: string,
): Promise<string[]> {
  if (Array.isArray(value)) return [...new Set(value.map((label) => label.trim()))];
  const file = value === undefined ? DEFAULT_LABELS_FILE : resolve(configDir, value);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PhotosortdError(
      'TAGGING_LABELS_UNREADABLE',
      `tagging.labels: cannot read the label file ${file} (${errorMessage(error)}); ` +
        'give a list of labels or a file with one label per line',
      { cause: error },
    );
  }
  const labels = parseLabelList(text);
  if (labels.length === 0) {
    throw new PhotosortdError(
      'TAGGING_LABELS_EMPTY',
      `tagging.labels: the label file ${file} holds no labels; write one label per line`,
    );
  }
  return labels;
}

/** The text fed to the text tower for a label: the prompt with `{}` replaced by the label. */
export function promptFor(prompt: string, label: string): string {
  return prompt.includes('{}') ? prompt.replaceAll('{}', label) : `${prompt} ${label}`.trim();
}

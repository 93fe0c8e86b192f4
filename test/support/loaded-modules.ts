import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Writes into `dir` a module that, given to `node --import`, records the URL of every module
 * the process loads, one a line, into the file named by `$LOADED_LOG`; returns its path. ESM
 * imports are seen by a resolve hook (`module.register`), CommonJS `require`s by a wrapper of
 * `Module._resolveFilename`: Node's internal, but the only place a `require` (exiftool-vendored,
 * pino-pretty, better-sqlite3) can be watched from.
 */
export async function moduleRecorder(dir: string): Promise<string> {
  const hooks = join(dir, 'record-hooks.mjs');
  const recorder = join(dir, 'record-modules.mjs');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, result.url + '\\n');
  return result;
}
`,
  );
  await writeFile(
    recorder,
    `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (isAbsolute(file)) appendFileSync(process.env.LOADED_LOG, pathToFileURL(file).href + '\\n');
  return file;
};
`,
  );
  return recorder;
}

/** The URLs a run under {@link moduleRecorder} wrote to `log` (none when it loaded nothing). */
export async function loadedModules(log: string): Promise<string[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { compileTemplates } from '../pipeline/configured.js';

/**
 * `photosortd config check`: loads and validates the configuration, compiles every template,
 * and prints the result with defaults filled in. Errors propagate to the CLI (exit 2).
 */
export async function configCheck(file: string | undefined): Promise<number> {
  const config = await loadConfig(file);
  compileTemplates(config);
  const shown = {
    ...config,
    api: { ...config.api, jwt: config.api.jwt ? { secret: '(set)' } : undefined },
  };
  process.stdout.write(`# ${config.file} is valid\n${stringify(shown)}`);
  return 0;
}

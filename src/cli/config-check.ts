import { stringify } from 'yaml';
import { loadConfig, redactedRedisUrl } from '../config/load.js';
import { compileTemplates } from '../pipeline/assemble.js';

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
    cluster: config.cluster && { ...config.cluster, redis: redactedRedisUrl(config.cluster.redis) },
  };
  process.stdout.write(`# ${config.file} is valid\n${stringify(shown)}`);
  return 0;
}

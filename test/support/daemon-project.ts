import { loadConfig, type Config } from '../../src/config/load.js';
import { project, type Project } from './project.js';

/**
 * A {@link project} loaded as a Config, for tests that start the daemon in-process rather
 * than through `photosortd run`.
 */
export async function projectConfig(
  overrides: Record<string, unknown> = {},
  prefix?: string,
): Promise<Project & { loaded: Config }> {
  const p = await project(overrides, prefix);
  return { ...p, loaded: await loadConfig(p.config) };
}

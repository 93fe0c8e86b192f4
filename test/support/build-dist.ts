import type { TestProject } from 'vitest/node';
import { buildDist } from './cli.js';

/**
 * Global setup of the slow suites (vitest.config.ts): most of them run `bin/photosortd`, and
 * each would otherwise compile dist/ for itself, in parallel with the others' daemons.
 */
export default function setup(project: TestProject): void {
  buildDist();
  project.provide('distBuilt', true);
}

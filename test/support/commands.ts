import { execFileSync } from 'node:child_process';

/** Whether a command is on the PATH: suites that need a system tool skip plainly without it. */
export function available(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

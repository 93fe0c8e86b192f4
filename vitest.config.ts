import { defineConfig } from 'vitest/config';

/**
 * Suites left out of `npm run test:fast`: they start daemons or the CLI as processes (each
 * file builds dist/ first), wait on real timers (settle, the companion window, signals) or
 * run the model end to end. `npm test` runs them all; the `fast` project is the rest, which
 * a maintainer can run in a minute (README, Development). A new slow suite joins this list.
 */
const SLOW_SUITES = [
  'test/daemon.test.ts', // the daemon in-process with its watcher, settle and windows
  'test/signals.test.ts', // SIGTERM/SIGHUP/SIGINT to daemon processes
  'test/crash.test.ts', // SIGKILLs a filing daemon again and again
  'test/torture.test.ts', // a daemon filing while scan, undo, run and journal run beside it
  'test/faults.test.ts', // full disks, vanished mounts, killed exiftool
  'test/service.test.ts', // systemd units, a daemon under systemd-run
  'test/api-daemon.test.ts', // the API of a running daemon
  'test/cli.test.ts', // bin/photosortd as a user runs it
  'test/hostile.test.ts', // hostile names and metadata through the CLI
  'test/doctor.test.ts', // `photosortd doctor` through the CLI
  'test/corpus-scan.test.ts', // `photosortd scan` over the whole shared corpus
  'test/dates.test.ts', // issue 14's date cases through `photosortd scan`
  'test/tagging-e2e.test.ts', // CLIP tagging through the CLI and the daemon
  'test/live-photo.test.ts', // Live Photo halves meeting in running daemons
  'test/open-writers.test.ts', // processes holding files open; the check run from dist/
  'test/drops.test.ts', // real drops: slow writers, stalls, second cards, against daemons
  'test/group-drops.test.ts', // HEIC+MOV, RAW+JPEG copied into running daemons, held or not
  'test/library-mounts.test.ts', // exFAT and rclone mounts; the CLI and a SIGKILLed daemon on them
  'test/identity.test.ts', // real mounts and symlinks under daemons and the CLI
  'test/search-cli.test.ts', // search, similar and index through the CLI (one kills index)
  'test/search-api.test.ts', // the search routes against the CLI's answers
  'test/search-daemon.test.ts', // search on a running daemon, then undo over its API
  'test/state-lock.test.ts', // daemons racing for a state folder, SIGKILLed, impostors on ports
  'test/**/*.browser.test.ts', // the dashboard in a real browser
  'test/cluster.test.ts', // a real redis-server, worker processes and daemons
  'test/web-actions.test.ts', // the dashboard's actions on files a running daemon filed
  'test/quick-start.test.ts', // the README's quick start on a fresh copy: npm start, lint, format
  'test/install.test.ts', // npm pack and a copying install
  'test/left-in-inbox.test.ts', // daemons restarted over files they left in the inbox
  'test/status-handled.test.ts', // a running daemon's status counts
  'test/undecodable-names.test.ts', // names that are not UTF-8, through daemons and the CLI
  'test/undo-words.test.ts', // undo through the CLI
  'test/config-check.test.ts', // config check and doctor through the CLI
  'test/scan-output.test.ts', // scan's table and progress through the CLI
  'test/geonames-prepare.test.ts', // lays the GeoNames data out for real, seconds each
  'test/web-search.test.ts', // the Search page over what a running daemon tagged
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: SLOW_SUITES,
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: SLOW_SUITES,
          // dist/ built once for all of them, before any starts (test/support/cli.ts)
          globalSetup: ['test/support/build-dist.ts'],
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts'],
      reporter: ['text-summary'],
    },
  },
});

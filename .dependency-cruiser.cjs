// @ts-check
/**
 * The layering of src/, checked by `npm run lint:layers` (part of `npm test`).
 *
 *   cli, api, web                     entry points: the command line, the HTTP API, the dashboard
 *     → app                           the composition root: opens services, wires stages
 *       → daemon                      watcher, arrival gatherer, signals, reload
 *         → pipeline                  the stages a file runs through
 *           → journal, geocode, tagging, search, cluster   the services stages call
 *             → config                schema and loading
 *               → lib                 small helpers and the media value types
 *
 * An import may go down any number of layers, and sideways within one, never up. A broken
 * rule is reported with its name, its comment and the offending import, e.g.
 *   error lib-imports-nothing-of-the-project: src/lib/gps.ts → src/pipeline/job.ts
 * Folders that do not exist yet (app, search, web, cluster) have their rules already, so the
 * first file put there is held to them.
 */

/** Every layer above the pipeline: what a stage or a service must never reach for. */
const ABOVE_THE_PIPELINE = '^src/(daemon|app|api|web|cli)/';

/**
 * A rule that fails the check for any import from a module matching `from` to one matching
 * `to`; its name and comment are what the report shows.
 * @param {string} name
 * @param {string} comment
 * @param {import('dependency-cruiser').IRegularForbiddenRuleType['from']} from
 * @param {import('dependency-cruiser').IRegularForbiddenRuleType['to']} to
 * @returns {import('dependency-cruiser').IRegularForbiddenRuleType}
 */
function forbid(name, comment, from, to) {
  return { name, comment, severity: 'error', from, to };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid(
      'no-circular',
      'Modules that import each other cannot be read, tested or loaded one at a time. Move ' +
        'what both need into a third module that imports neither.',
      {},
      { circular: true },
    ),
    forbid(
      'every-module-in-a-layer',
      'Each folder of src/ is a layer of the table in .dependency-cruiser.cjs. A new folder ' +
        'gets its place (and its rules) there before it gets code.',
      {
        path: '^src/',
        pathNot:
          '^src/(cli|api|web|app|daemon|pipeline|journal|geocode|tagging|search|cluster|config|lib)/',
      },
      { path: '^src/' },
    ),
    forbid(
      'lib-imports-nothing-of-the-project',
      'lib/ is the floor every layer stands on: small helpers and the media value types. It ' +
        'imports only Node and npm packages; what it needs from above belongs in lib/ itself.',
      { path: '^src/lib/' },
      { path: '^src/', pathNot: '^src/lib/' },
    ),
    forbid(
      'config-imports-only-lib',
      'The config schema and loader are read by every layer, so they know nothing but lib/.',
      { path: '^src/config/' },
      { path: '^src/', pathNot: '^src/(config|lib)/' },
    ),
    forbid(
      'journal-knows-nothing-of-the-pipeline',
      'The journal records moves and undoes them for whoever asks (pipeline, undo, recovery, ' +
        'API); it speaks in lib/ types, never in FileJob or stages, nor of anything above them.',
      { path: '^src/journal/' },
      { path: `^src/pipeline/|${ABOVE_THE_PIPELINE}` },
    ),
    forbid(
      'services-know-nothing-of-the-pipeline',
      'geocode, tagging, search and cluster are services a stage calls: they take lib/ types ' +
        '(GpsPosition, a TaggableFile) and know nothing of the pipeline or anything above it.',
      { path: '^src/(geocode|tagging|search|cluster)/' },
      { path: `^src/pipeline/|${ABOVE_THE_PIPELINE}` },
    ),
    forbid(
      'stages-know-nothing-of-daemon-api-cli',
      'A stage is a function of a FileJob: it runs the same under the daemon, scan and tests, ' +
        'so it imports nothing of the daemon, the composition root, the API, the dashboard or the CLI.',
      { path: '^src/pipeline/' },
      { path: ABOVE_THE_PIPELINE },
    ),
    forbid(
      'daemon-knows-nothing-of-app-api-cli',
      'The daemon is handed its services by the composition root (app/) and is steered by the ' +
        'API and the CLI through DaemonControl; it imports none of them.',
      { path: '^src/daemon/' },
      { path: '^src/(app|api|web|cli)/' },
    ),
    forbid(
      'app-knows-nothing-of-api-cli',
      'The composition root wires services and stages for the entry points; the entry points ' +
        'call it, not the other way round.',
      { path: '^src/app/' },
      { path: '^src/(api|web|cli)/' },
    ),
    forbid(
      'api-and-web-know-nothing-of-the-cli',
      'The CLI is a client of the API (and prints what it returns); the server never imports ' +
        'the command line.',
      { path: '^src/(api|web)/' },
      { path: '^src/cli/' },
    ),
    forbid(
      'src-imports-no-tests',
      'Shipped code (dist/) has no test/, bench/ or scripts/ to import.',
      { path: '^src/' },
      { path: '^(test|bench|scripts)/' },
    ),
    forbid(
      'src-imports-no-dev-dependencies',
      'An install from npm has no devDependencies: shipped code imports only dependencies ' +
        '(type-only imports vanish at build time and may use either).',
      { path: '^src/' },
      { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'no-unresolvable-imports',
      'An import that names no file or installed package fails at run time.',
      {},
      { couldNotResolve: true },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a lib/ type imported from the pipeline ties
    // the layers together as much as a function does.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};

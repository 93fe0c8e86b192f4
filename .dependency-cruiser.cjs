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

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Modules that import each other cannot be read, tested or loaded one at a time. Move ' +
        'what both need into a third module that imports neither.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'every-module-in-a-layer',
      comment:
        'Each folder of src/ is a layer of the table in .dependency-cruiser.cjs. A new folder ' +
        'gets its place (and its rules) there before it gets code.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot:
          '^src/(cli|api|web|app|daemon|pipeline|journal|geocode|tagging|search|cluster|config|lib)/',
      },
      to: { path: '^src/' },
    },
    {
      name: 'lib-imports-nothing-of-the-project',
      comment:
        'lib/ is the floor every layer stands on: small helpers and the media value types. It ' +
        'imports only Node and npm packages; what it needs from above belongs in lib/ itself.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'config-imports-only-lib',
      comment:
        'The config schema and loader are read by every layer, so they know nothing but lib/.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|lib)/' },
    },
    {
      name: 'journal-knows-nothing-of-the-pipeline',
      comment:
        'The journal records moves and undoes them for whoever asks (pipeline, undo, recovery, ' +
        'API); it speaks in lib/ types, never in FileJob or stages, nor of anything above them.',
      severity: 'error',
      from: { path: '^src/journal/' },
      to: { path: `^src/pipeline/|${ABOVE_THE_PIPELINE}` },
    },
    {
      name: 'services-know-nothing-of-the-pipeline',
      comment:
        'geocode, tagging, search and cluster are services a stage calls: they take lib/ types ' +
        '(GpsPosition, a TaggableFile) and know nothing of the pipeline or anything above it.',
      severity: 'error',
      from: { path: '^src/(geocode|tagging|search|cluster)/' },
      to: { path: `^src/pipeline/|${ABOVE_THE_PIPELINE}` },
    },
    {
      name: 'stages-know-nothing-of-daemon-api-cli',
      comment:
        'A stage is a function of a FileJob: it runs the same under the daemon, scan and tests, ' +
        'so it imports nothing of the daemon, the composition root, the API, the dashboard or the CLI.',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: ABOVE_THE_PIPELINE },
    },
    {
      name: 'daemon-knows-nothing-of-app-api-cli',
      comment:
        'The daemon is handed its services by the composition root (app/) and is steered by the ' +
        'API and the CLI through DaemonControl; it imports none of them.',
      severity: 'error',
      from: { path: '^src/daemon/' },
      to: { path: '^src/(app|api|web|cli)/' },
    },
    {
      name: 'app-knows-nothing-of-api-cli',
      comment:
        'The composition root wires services and stages for the entry points; the entry points ' +
        'call it, not the other way round.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(api|web|cli)/' },
    },
    {
      name: 'api-and-web-know-nothing-of-the-cli',
      comment:
        'The CLI is a client of the API (and prints what it returns); the server never imports ' +
        'the command line.',
      severity: 'error',
      from: { path: '^src/(api|web)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'src-imports-no-tests',
      comment: 'Shipped code (dist/) has no test/, bench/ or scripts/ to import.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'src-imports-no-dev-dependencies',
      comment:
        'An install from npm has no devDependencies: shipped code imports only dependencies ' +
        '(type-only imports vanish at build time and may use either).',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'An import that names no file or installed package fails at run time.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
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

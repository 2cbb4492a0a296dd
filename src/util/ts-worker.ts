import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * Whether this module runs compiled (the built package's dist/, plain Node) rather than as a
 * TypeScript source through tsx: decides how worker threads and child processes are started.
 */
export const RUNS_COMPILED = import.meta.url.endsWith('.js');

/**
 * The module to run for a TypeScript module URL (`new URL('./x.ts', import.meta.url)`): in the
 * compiled package, its `.js` beside it (tsc rewrites import specifiers, not URLs in code).
 */
export function runnableModule(moduleUrl: URL): URL {
  return RUNS_COMPILED ? new URL(moduleUrl.href.replace(/\.ts$/, '.js')) : moduleUrl;
}

/**
 * Node flags a child process needs to run `runnableModule(url)`: none for the compiled package,
 * the tsx loader (by absolute URL, which resolves from any working folder) for the sources.
 */
export function moduleExecArgv(): string[] {
  return RUNS_COMPILED ? [] : ['--import', import.meta.resolve('tsx')];
}

/**
 * Starts a worker thread running the TypeScript module at `moduleUrl`. The compiled package
 * starts its `.js` directly. From the sources, workers do not inherit the tsx loader that
 * `bin/snn-export.js` registers, so each one registers it first and then loads the module.
 */
export function startTsWorker(moduleUrl: URL, resourceLimits?: ResourceLimits): Worker {
  if (RUNS_COMPILED) return new Worker(runnableModule(moduleUrl), { resourceLimits });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

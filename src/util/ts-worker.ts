import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * Starts a worker thread running the TypeScript module at `moduleUrl`. Workers do not inherit
 * the tsx loader that `bin/snn-export.js` registers, so each one registers it first (by absolute
 * URL, which resolves from any working folder) and then loads the module.
 */
export function startTsWorker(moduleUrl: URL, resourceLimits?: ResourceLimits): Worker {
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

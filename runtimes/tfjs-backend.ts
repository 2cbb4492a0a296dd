/**
 * Loads TensorFlow.js with the fastest backend that works on this machine (docs/training.md):
 * `@tensorflow/tfjs-node` (libtensorflow) when its native binary is installed, else the
 * WebAssembly backend, else the plain JavaScript CPU backend. Only runtimes/ and tests import it.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The TensorFlow.js namespace (tfjs-core; every backend registers into its one global engine). */
export type Tf = typeof tf;

/** Backend names as tfjs registers them: 'tensorflow' is @tensorflow/tfjs-node. */
export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The loaded namespace and the backend that is now active. */
export interface LoadedTfjs {
  tf: Tf;
  backend: TfjsBackendName;
}

let nodeBindingTried: Promise<string | undefined> | undefined;
let wasmPathsSet = false;

/** Imports tfjs-node once per process; resolves to why it failed, or undefined when it loaded. */
function tryTfjsNode(): Promise<string | undefined> {
  nodeBindingTried ??= import('@tensorflow/tfjs-node').then(
    () => undefined,
    (error: unknown) => firstLine(error),
  );
  return nodeBindingTried;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0];
}

/**
 * In Node the wasm backend would look for its .wasm files next to the calling script; point it
 * at the package's own dist folder, read from disk, so that it works offline. A plain path
 * prefix (not a file:// URL) is what its Node loader reads with fs.
 */
function pointWasmAtPackage(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep);
  wasmPathsSet = true;
}

async function activate(name: TfjsBackendName): Promise<string | undefined> {
  try {
    if (name === 'tensorflow') {
      const failure = await tryTfjsNode();
      if (failure) return failure;
    }
    if (name === 'wasm') pointWasmAtPackage();
    if (tf.getBackend() === name) return undefined;
    // setBackend logs its own warning and resolves false when the backend cannot initialise.
    return (await tf.setBackend(name)) ? undefined : `backend '${name}' did not initialise`;
  } catch (error) {
    return firstLine(error);
  }
}

/**
 * Loads TensorFlow.js and activates a backend. Without `preferred`: tfjs-node, then wasm, then
 * cpu, the first that initialises. With `preferred`: that backend, falling back to cpu if it
 * fails (`backend` says which one is active). Throws, naming every failure, if none works.
 */
export async function loadTfjs(preferred?: 'wasm' | 'cpu'): Promise<LoadedTfjs> {
  const order: TfjsBackendName[] = preferred === 'cpu' ? ['cpu'] : preferred === 'wasm' ? ['wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const name of order) {
    const failure = await activate(name);
    if (failure === undefined) return { tf, backend: name };
    failures.push(`[${name}] ${failure}`);
  }
  throw new Error(`loadTfjs: no TensorFlow.js backend works here: ${failures.join('; ')}`);
}

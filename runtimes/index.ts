import type { Runtime } from './runtime.ts';

/** Every runtime by name, for `verify --runtimes`. A new one is one file plus one line here. */
export const RUNTIMES: Record<string, Runtime> = {
};

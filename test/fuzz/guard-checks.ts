/**
 * Readers that fail on purpose, one per failure outcome, so that a test can check the guards
 * themselves: a fuzzer whose hang or memory guard never fires would report a clean table for any
 * reader. Only the guard test runs them (their names start with `guard-`); they are not formats
 * of `npm run fuzz`.
 */
import type { FuzzFormat } from './format.ts';

function checkFormat(name: string, read: FuzzFormat['read']): FuzzFormat {
  return {
    name, entry: 'guard check', fileName: 'case.bin', text: false,
    seeds: async () => [{ name: 'any', bytes: Uint8Array.of(1, 2, 3) }],
    crafted: () => [],
    read,
  };
}

export const GUARD_CHECKS: FuzzFormat[] = [
  checkFormat('guard-internal', async () => { throw new TypeError('a reader bug'); }),
  checkFormat('guard-crash', async () => { process.abort(); }),
  checkFormat('guard-hang', async () => { for (;;) { /* spins */ } }),
  // Memory outside the V8 heap (what a typed array sized from a header field takes), touched so it is resident.
  checkFormat('guard-memory', async () => { Buffer.allocUnsafe(1536 * 1024 * 1024).fill(1); }),
  // The V8 heap itself: the worker's heap limit ends it.
  checkFormat('guard-heap', async () => { const keep: number[][] = []; for (;;) keep.push(new Array(1 << 20).fill(Math.random())); }),
];

import { readFileSync } from 'node:fs';

/**
 * The package's version, read from its package.json, the one place it is written. The file is
 * found by walking up from this module: `src/` in a checkout, `dist/src/` in the built package.
 */
export const VERSION: string = readVersion();

function readVersion(): string {
  for (let up = '../'; up.length <= 12; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'snn-export' && typeof pkg.version === 'string') return pkg.version;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error('snn-export: package.json not found above src/version.ts');
}

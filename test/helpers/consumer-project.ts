import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry { dev?: boolean; optional?: boolean; devOptional?: boolean; [field: string]: unknown }

/**
 * Writes package.json and package-lock.json of a project that depends on the packed tarball
 * `tarballName` (in `dir`), so that `npm ci --offline` installs it from the npm cache alone. A plain
 * `npm install ./x.tgz --offline` would need the registry's package documents to resolve version
 * ranges, and `npm ci` in the checkout fetches only tarballs; the lock pins the exact versions
 * the checkout's lock file resolved, whose tarballs that `npm ci` has cached.
 */
export function writeConsumerProject(dir: string, tarballName: string, repoRoot: string): void {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    name: string; version: string; license: string; bin: Record<string, string>; engines: Record<string, string>;
    dependencies: Record<string, string>; optionalDependencies?: Record<string, string>;
  };
  const repoLock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { [pkg.name]: `file:${tarballName}` } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version, resolved: `file:${tarballName}`, license: pkg.license, bin: pkg.bin, engines: pkg.engines,
      dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path === '' || entry.dev) continue;
    const { devOptional, ...rest } = entry;
    // Reachable from the checkout's dev dependencies or from an optional one: for a consumer, only the latter.
    packages[path] = devOptional ? { ...rest, optional: true } : rest;
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { [pkg.name]: `file:${tarballName}` } }, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

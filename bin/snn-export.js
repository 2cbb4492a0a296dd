#!/usr/bin/env node
// The installed package runs the compiled dist/. In a checkout (src/ present) dist/ runs only while
// it is fresh, built after the last change to any source file (tools/build.mjs records when it
// started); otherwise the TypeScript sources run through tsx, so that an edit never meets a stale
// build and no build step stands between an edit and its use.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const SOURCE_DIRS = ['src', 'exporters', 'runtimes', 'hardware-profiles'];

function distIsFresh() {
  if (!existsSync(new URL('src/cli/index.ts', root))) return true;
  if (!existsSync(new URL('dist/.built', root))) return false;
  const built = Number(readFileSync(new URL('dist/.built', root), 'utf8'));
  for (const dir of SOURCE_DIRS) {
    const base = fileURLToPath(new URL(dir, root));
    for (const name of readdirSync(base, { recursive: true })) {
      if (statSync(join(base, name)).mtimeMs > built) return false;
    }
  }
  return true;
}

if (distIsFresh()) {
  await import('../dist/src/cli/index.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/index.ts');
}

#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so that no build step stands between install and use.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/index.ts');

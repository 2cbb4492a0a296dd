import type { Command } from 'commander';
import { registerExport } from './export.ts';
import { registerImport } from './import.ts';
import { registerVerify } from './verify.ts';
import { registerData } from './data.ts';
import { registerReport } from './report.ts';
import { registerServe } from './serve.ts';
import { registerSimulate } from './simulate.ts';
import { registerProfiles } from './profiles.ts';
import { registerRecipes } from './recipes.ts';
import { registerDemo, registerTrain } from './train.ts';

/**
 * Every CLI command, one file each. A new command is one file in src/cli/ plus one line here.
 * This is the only place in src/ that wires in exporters/ and runtimes/ (through the command files).
 */
export const COMMANDS: ((program: Command) => void)[] = [
  registerDemo,
  registerTrain,
  registerExport,
  registerImport,
  registerVerify,
  registerData,
  registerReport,
  registerServe,
  registerSimulate,
  registerProfiles,
  registerRecipes,
];

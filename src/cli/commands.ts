import type { Command } from 'commander';

/** One CLI command: its name and one-line summary for `snn-export --help`, and its module. */
export interface CommandEntry {
  name: string;
  /** The line in the command list; the command's own `.description()` is its full help. */
  summary: string;
  /** Loads the command's module (and through it the heavy libraries it uses) and returns its registration. */
  load(): Promise<(program: Command) => void>;
}

/**
 * Every CLI command, one file each. A new command is one file in src/cli/ plus one entry here.
 * Only the command being run is loaded (`--help` and `--version` load none), so that a command
 * pays for onnxruntime, TensorFlow.js, h5wasm, protobufjs or playwright only when it uses them.
 * This is the only place in src/ that wires in exporters/ and runtimes/ (through the command files).
 */
export const COMMANDS: CommandEntry[] = [
  { name: 'demo', summary: 'one epoch of fc on the embedded MNIST: test accuracy and the checkpoint path', load: async () => (await import('./train.ts')).registerDemo },
  { name: 'train', summary: 'train a C-LIF network (built-in architecture, spec file or recipe)', load: async () => (await import('./train.ts')).registerTrain },
  { name: 'export', summary: 'export a trained checkpoint (onnx, nir, events)', load: async () => (await import('./export.ts')).registerExport },
  { name: 'import', summary: 'import a network trained with another tool (nir)', load: async () => (await import('./import.ts')).registerImport },
  { name: 'verify', summary: 'compare the trained model with its exports in each runtime (exit 6 below the thresholds)', load: async () => (await import('./verify.ts')).registerVerify },
  { name: 'data', summary: 'inspect data files and make emulated event data sets', load: async () => (await import('./data.ts')).registerData },
  { name: 'report', summary: 'one self-contained HTML report of a checkpoint', load: async () => (await import('./report.ts')).registerReport },
  { name: 'serve', summary: 'run the model in onnxruntime-web on a local page', load: async () => (await import('./serve.ts')).registerServe },
  { name: 'simulate', summary: 'run a spike-event bundle in the bit-exact hardware simulator', load: async () => (await import('./simulate.ts')).registerSimulate },
  { name: 'profiles', summary: 'list the hardware profiles, or show one with its sources', load: async () => (await import('./profiles.ts')).registerProfiles },
  { name: 'recipes', summary: 'list the training recipes (train --recipe NAME), or show one', load: async () => (await import('./recipes.ts')).registerRecipes },
  { name: 'models', summary: 'list the pretrained models (a model name works wherever a checkpoint path does)', load: async () => (await import('./models.ts')).registerModels },
];

/**
 * The command that `args` (process.argv without node and the script) runs: the first word that is
 * not an option (the program's own options, --help and --version, take no value), or the word
 * after `help`.
 */
export function commandNameIn(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * Adds every command to `program`: the one that runs (if any) in full, the others as their name
 * and summary only, in the order of COMMANDS, so that the command list reads the same either way.
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const running = commandNameIn(args);
  for (const entry of COMMANDS) {
    if (entry.name === running) (await entry.load())(program);
    else program.command(entry.name).summary(entry.summary);
  }
}

import { Command, CommanderError } from 'commander';
import { EXIT_CODES, SnnError, oneLine } from '../errors.ts';
import { registerCommands } from './commands.ts';
import { fromSystemError } from './run.ts';
import { VERSION } from '../version.ts';

const program = new Command('snn-export')
  .description('Train C-LIF spiking neural networks and deploy them to ONNX, NIR and neuromorphic chips.')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

await registerCommands(program, process.argv.slice(2));

// A reader that stops early (`snn-export recipes | head`) closes the pipe: that ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); else throw err; });
}

try {
  await program.parseAsync(process.argv);
} catch (caught) {
  const err = fromSystemError(caught);
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : EXIT_CODES.usage);
  }
  if (err instanceof SnnError) {
    process.stderr.write(`snn-export: ${oneLine(err.message)}\n`);
    process.exit(err.exitCode);
  }
  throw err;
}

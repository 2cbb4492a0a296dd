import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';

/** A command-line option of an exporter, in commander's syntax (`--time-loop`, `--target <name>`). */
export interface ExporterOption {
  flags: string;
  description: string;
  defaultValue?: string | boolean;
}

/**
 * An export format. `snn-export export <name> CHECKPOINT -o OUT` loads the checkpoint and calls
 * `export`, which writes `outPath` atomically and returns a one-line summary for the terminal.
 * The command has already claimed `outPath` (`claimOutput`: writable, not a folder, not being
 * written by another run) before the checkpoint is loaded, so an exporter only writes it.
 * A new format is one folder in exporters/ plus one line in exporters/index.ts.
 */
export interface Exporter {
  name: string;
  description: string;
  options: ExporterOption[];
  export(checkpoint: Checkpoint, outPath: string, options: Record<string, unknown>, checkpointPath: string): Promise<string>;
}

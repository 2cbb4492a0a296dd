import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import { SnnError } from '../errors.ts';
import { validateSpec } from '../spec/validate.ts';
import { readOnnxModel } from '../../runtimes/onnx-model-file.ts';
import { prepareBrowserContent } from '../../runtimes/browser/content.ts';
import { startBrowserServer } from '../../runtimes/browser/server.ts';
import type { BrowserServer } from '../../runtimes/browser/server.ts';
import { onnxModelFor, testSetOf } from './report.ts';
import { action, int } from './run.ts';

/** How the browser page is served. */
export interface ServeOptions {
  /** Exported ONNX model; default: exported from the checkpoint. */
  onnx?: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Test images served with Node's reference outputs. */
  samples: number;
  dataDir?: string;
}

/**
 * Prepares and starts the browser page for a checkpoint: the exported model (given or exported
 * now), its raster variant, and onnxruntime-node's reference outputs for the first test images.
 * Used by `snn-export serve` and by the browser test.
 */
export async function serveCheckpoint(checkpointPath: string, o: ServeOptions): Promise<BrowserServer & { samples: number }> {
  const checkpoint = loadCheckpoint(checkpointPath);
  const resolved = validateSpec(checkpoint.spec);
  const exported = await onnxModelFor(checkpoint, checkpointPath, o.onnx);
  let model: Uint8Array;
  try {
    model = readOnnxModel(exported.path, resolved);
  } finally {
    exported.release();
  }
  const content = await prepareBrowserContent(checkpoint, model, testSetOf(checkpoint, o.dataDir), o.samples);
  const server = await startBrowserServer(content, o.port);
  return { ...server, samples: content.info.samples };
}

/** `snn-export serve CHECKPOINT [--onnx MODEL] [--port P]`: the model in onnxruntime-web, in a browser page on localhost. */
export function registerServe(program: Command): void {
  program.command('serve')
    .description('serve a page on localhost that runs the exported model in onnxruntime-web: draw a digit, see the spikes over time, check parity with onnxruntime-node')
    .argument('<checkpoint>', 'checkpoint file, or a pretrained model name (snn-export models); for the per-step raster view and the test data')
    .option('--onnx <model>', 'exported ONNX model to serve (default: exported from the checkpoint)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', int('port'), 8080)
    .option('--samples <n>', 'test images served with onnxruntime-node reference outputs', int('samples'), 1000)
    .option('--data-dir <dir>', 'folder of the data set (default: the one recorded in the checkpoint, or the embedded MNIST)')
    .action(action(async (checkpointPath: string, o: ServeOptions) => {
      if (o.port < 0 || o.port > 65535) throw new SnnError('usage', `option --port: ${o.port} is not a port`);
      if (o.samples < 1) throw new SnnError('usage', 'option --samples: must be ≥ 1');
      const server = await serveCheckpoint(checkpointPath, o);
      process.stdout.write(`serving ${server.url} (${server.samples} test images; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => { void server.close().finally(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    }));
}

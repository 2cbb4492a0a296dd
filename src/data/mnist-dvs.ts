import { existsSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { SnnError, malformed } from '../errors.ts';
import { Random } from '../util/random.ts';
import type { DatasetSplits } from './dataset.ts';
import { eventFrameDataset, labelCounts } from './event-dataset.ts';
import type { EventSample } from './event-dataset.ts';
import { readEventFile } from './events/event-file.ts';
import type { FrameOptions } from './frames.ts';
import { MiB, readInputJson } from '../util/read-input.ts';

/**
 * MNIST-DVS (Serrano-Gotarredona & Linares-Barranco 2015): `grabbed_data{digit}/scale{4,8,16}/*.aedat`,
 * jAER AEDAT 2.0 recordings from a 128×128 DVS, the label being the digit folder. The release has
 * no train/test split: the files of the chosen scale are split per digit by a seeded shuffle
 * (stratified), recorded in `describe()`. A folder written by `snn-export data emulate` carries
 * `emulation.json`, and then the MNIST split the images came from is used instead.
 */

/** The display scales the release was recorded at. */
export const MNIST_DVS_SCALES = [4, 8, 16] as const;
export const EMULATION_MANIFEST = 'emulation.json';

export interface MnistDvsOptions {
  /** Which recordings: 4, 8 or 16 (the digit's display scale). Default 16. */
  scale?: number;
  /** Fraction of each digit's files held out for testing (seeded split). Default 0.2. */
  testFraction?: number;
  /** Seed of the split. Default 0. */
  seed?: number;
  /** `seeded` shuffles; `manifest` uses the MNIST split recorded by the emulator; `auto` (default) picks `manifest` when the folder has one. */
  split?: 'auto' | 'seeded' | 'manifest';
  frames?: FrameOptions;
}

/** Frame defaults: 10 time bins over each recording, the whole 128×128 sensor pooled 4×4 to 32×32. */
export const MNIST_DVS_FRAMES: FrameOptions = { timeSteps: 10, binning: 'time', mode: 'count', downsample: 4 };

/** What `emulation.json` holds that the reader needs. */
interface EmulationManifest {
  /** MNIST test images are numbered from this index in the file names. */
  testIndexFrom: number;
}

/** The id at the end of a file name (`mnist_0_scale04_0001.aedat` → 1). */
function fileIndex(name: string): number {
  const m = /(\d+)\.aedat$/i.exec(name);
  return m ? Number(m[1]) : NaN;
}

export function loadMnistDvs(dir: string, options: MnistDvsOptions = {}): DatasetSplits {
  const scale = options.scale ?? 16;
  if (!(MNIST_DVS_SCALES as readonly number[]).includes(scale)) throw new SnnError('usage', `MNIST-DVS: scale ${scale} does not exist (4, 8 or 16)`);
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw new SnnError('usage', `MNIST-DVS: test fraction must be in (0, 1), got ${testFraction}`);
  const seed = options.seed ?? 0;
  const frames = options.frames ?? MNIST_DVS_FRAMES;
  const help = `put the MNIST-DVS folders grabbed_data0 … grabbed_data9 (each with scale4/, scale8/, scale16/ of .aedat files, from the grabbed_data{d}.zip archives of IMSE-CNM) in ${dir}, or make an emulated copy with 'snn-export data emulate --from mnist -o ${dir}'`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SnnError('missingInput', `MNIST-DVS: folder ${dir} not found; ${help}`);

  const manifestPath = join(dir, EMULATION_MANIFEST);
  const splitMode = options.split ?? 'auto';
  const useManifest = splitMode === 'manifest' || (splitMode === 'auto' && existsSync(manifestPath));
  const byDigit: { file: string; index: number }[][] = [];
  for (let d = 0; d < 10; d++) {
    const folder = join(dir, `grabbed_data${d}`, `scale${scale}`);
    if (!existsSync(folder)) throw new SnnError('missingInput', `MNIST-DVS: ${folder} not found; ${help}`);
    const names = readdirSync(folder).filter((n) => n.toLowerCase().endsWith('.aedat')).sort();
    // An emulated subset (--limit) may leave a digit empty; a real download never does.
    if (names.length === 0 && !useManifest) throw new SnnError('missingInput', `MNIST-DVS: no .aedat files in ${folder}; ${help}`);
    byDigit.push(names.map((n) => ({ file: join(folder, n), index: fileIndex(n) })));
  }

  let manifest: EmulationManifest | undefined;
  if (useManifest) {
    if (!existsSync(manifestPath)) throw new SnnError('missingInput', `MNIST-DVS: ${manifestPath} not found (the manifest split is only available for emulated folders)`);
    manifest = readInputJson(manifestPath, { what: 'emulation manifest', maxBytes: MiB }) as EmulationManifest;
    if (typeof manifest !== 'object' || manifest === null || !Number.isInteger(manifest.testIndexFrom)) throw malformed(manifestPath, `field testIndexFrom: expected an integer`);
  }

  const train: EventSample[] = [];
  const test: EventSample[] = [];
  const sample = (file: string, label: number): EventSample => ({
    label, source: file,
    load: () => {
      const s = readEventFile(file, { expectSensor: 'DVS128' });
      return { events: s, sensor: s };
    },
  });
  for (let d = 0; d < 10; d++) {
    const files = byDigit[d];
    if (manifest) {
      for (const f of files) {
        if (!Number.isFinite(f.index)) throw malformed(f.file, `file name has no numeric id, needed for the manifest split`);
        (f.index >= manifest.testIndexFrom ? test : train).push(sample(f.file, d));
      }
    } else {
      // Per-digit shuffles keep the class balance of the release in both parts.
      const order = new Random(seed * 10 + d + 1).permutation(files.length);
      const nTest = Math.max(1, Math.round(files.length * testFraction));
      for (let k = 0; k < files.length; k++) (k < nTest ? test : train).push(sample(files[order[k]].file, d));
    }
  }
  // A digest of the test files' names pins the split down for a checkpoint without listing them.
  const testDigest = createHash('sha256').update(test.map((s) => relative(dir, s.source)).sort().join('\n')).digest('hex').slice(0, 16);
  const split = manifest
    ? { kind: 'manifest', manifest: manifestPath, testIndexFrom: manifest.testIndexFrom, testFilesSha256: testDigest }
    : { kind: 'seeded-stratified', seed, testFraction, testFilesSha256: testDigest };
  const common = { source: dir, format: 'MNIST-DVS (AEDAT 2.0, DVS128)', scale, split };
  return {
    train: eventFrameDataset('mnist-dvs-train', train, { width: 128, height: 128 }, frames, 10, { ...common, labelCounts: labelCounts(train.map((s) => s.label), 10) }),
    test: eventFrameDataset('mnist-dvs-test', test, { width: 128, height: 128 }, frames, 10, { ...common, labelCounts: labelCounts(test.map((s) => s.label), 10) }),
  };
}

/**
 * Event-reading throughput: events/s decoded for AEDAT 2.0 and 3.1 (synthetic 50 M-event files
 * written to a temporary folder, then the real recordings of shared/data/events), frames/s, and
 * the emulator's recordings/s; then DAVIS AEDAT 2.0, EVT 2.0/3.0 and AEDAT 4.0 on 10 M-event files
 * (bench/events-modern.ts). Usage: node --import tsx bench/events.ts [--events N] [--modern-events N] [--keep]
 */
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DvsEmulator } from '../src/data/emulator.ts';
import { readEventFile, streamEventFile } from '../src/data/events/event-file.ts';
import { eventsToFrames } from '../src/data/frames.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { benchModernFormats } from './events-modern.ts';
import { Random } from '../src/util/random.ts';

const args = process.argv.slice(2);
const totalEvents = args.includes('--events') ? Number(args[args.indexOf('--events') + 1]) : 50_000_000;
const keep = args.includes('--keep');
const modernEvents = args.includes('--modern-events') ? Number(args[args.indexOf('--modern-events') + 1]) : 10_000_000;
const dir = mkdtempSync(join(tmpdir(), 'snn-bench-events-'));
const BLOCK = 1 << 20;

/** Writes `totalEvents` random DVS128 events with rising timestamps, block by block (bounded memory). */
function writeSynthetic(path: string, version: '2.0' | '3.1'): void {
  const fd = openSync(path, 'w');
  const rng = new Random(1);
  const header = version === '2.0'
    ? '#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n# Timestamps tick is 1 us\r\n'
    : '#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n';
  writeSync(fd, Buffer.from(header, 'latin1'));
  const PACKET = 4096;
  const buf = new Uint8Array(version === '2.0' ? BLOCK * 8 : (BLOCK / PACKET) * (28 + PACKET * 8));
  const view = new DataView(buf.buffer);
  let t = 0;
  for (let done = 0; done < totalEvents; done += BLOCK) {
    const n = Math.min(BLOCK, totalEvents - done);
    let o = 0;
    for (let i = 0; i < n; i++) {
      if (version === '3.1' && i % PACKET === 0) {
        const k = Math.min(PACKET, n - i);
        view.setInt16(o, 1, true); view.setInt16(o + 2, 1, true); view.setInt32(o + 4, 8, true); view.setInt32(o + 8, 4, true);
        view.setInt32(o + 12, Math.floor(t / 2 ** 31), true); view.setInt32(o + 16, k, true); view.setInt32(o + 20, k, true); view.setInt32(o + 24, k, true);
        o += 28;
      }
      const r = (rng.next() * 2 ** 32) >>> 0;
      const x = r & 127, y = (r >>> 7) & 127, p = (r >>> 14) & 1;
      t += (r >>> 20) & 3;
      if (version === '2.0') { view.setUint32(o, (y << 8) | (x << 1) | p, false); view.setUint32(o + 4, t, false); }
      else { view.setUint32(o, ((x << 17) | (y << 2) | (p << 1) | 1) >>> 0, true); view.setInt32(o + 4, t % 2 ** 31, true); }
      o += 8;
    }
    writeSync(fd, buf, 0, o);
  }
  closeSync(fd);
}

function decodeRate(path: string, repeats = 3): { events: number; perSecond: number } {
  let best = Infinity, events = 0;
  for (let r = 0; r < repeats; r++) {
    let n = 0, checksum = 0;
    const t0 = performance.now();
    streamEventFile(path, (c) => { n += c.count; if (c.count) checksum += c.x[c.count - 1]; });
    const ms = performance.now() - t0;
    if (ms < best) best = ms;
    events = n;
    if (checksum < 0) console.log('');
  }
  return { events, perSecond: events / (best / 1000) };
}

const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(1)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(1));

try {
  console.log(`synthetic files: ${fmt(totalEvents)} events each in ${dir}`);
  for (const version of ['2.0', '3.1'] as const) {
    const path = join(dir, `synthetic-${version}.aedat`);
    const t0 = performance.now();
    writeSynthetic(path, version);
    console.log(`  AEDAT ${version}: wrote ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const r = decodeRate(path);
    console.log(`  AEDAT ${version}: decoded ${fmt(r.events)} events at ${fmt(r.perSecond)} events/s (best of 3, file in page cache, 4 MiB reads)`);
  }

  benchModernFormats(modernEvents);

  const shared = fileURLToPath(new URL('../../shared/data/events/', import.meta.url));
  if (existsSync(shared)) {
    console.log('real recordings (shared/data/events):');
    for (const sub of ['aedat1', 'aedat2', 'derived', 'nmnist']) {
      for (const name of readdirSync(join(shared, sub)).filter((n) => !n.endsWith('.csv')).sort()) {
        if (sub === 'nmnist' && name !== 'tonic_sample_nmnist.bin') continue;
        const r = decodeRate(join(shared, sub, name), 5);
        console.log(`  ${sub}/${name}: ${fmt(r.events)} events at ${fmt(r.perSecond)} events/s`);
      }
    }
    const sample = readEventFile(join(shared, 'aedat2/mnistdvs_mnist_0_scale04_0001.aedat'));
    for (const [label, options] of [
      ['T=10, 128×128 pooled 4× to 32×32, counts', { timeSteps: 10, downsample: 4 }],
      ['T=10, 128×128 full, binary, equal counts', { timeSteps: 10, mode: 'binary', binning: 'count' }],
    ] as const) {
      const runs = 300;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) eventsToFrames(sample, sample, options);
      const s = (performance.now() - t0) / 1000;
      console.log(`frames (${label}) from the ${fmt(sample.count)}-event MNIST-DVS sample: ${fmt(runs / s)} samples/s = ${fmt((runs * options.timeSteps) / s)} frames/s = ${fmt((runs * sample.count) / s)} events/s binned`);
    }
  }

  const mnist = loadMnist().train;
  const image = new Float32Array(784);
  const emulator = new DvsEmulator({ digitSize: 28 }, 1);
  const runs = 500;
  let events = 0;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) { mnist.writeSample(i, image, 0); events += emulator.record(image, 28, 28, i).count; }
  const s = (performance.now() - t0) / 1000;
  console.log(`emulator (scale 16: 28-pixel digit, 1 s, 5 ms steps, no writing): ${fmt(runs / s)} recordings/s, ${fmt(events / runs)} events per recording; 70 000 MNIST images ≈ ${(70000 / (runs / s) / 60).toFixed(1)} min of emulation`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

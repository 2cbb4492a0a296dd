/**
 * Decode rates of the formats of today's cameras (issue 21): DAVIS AEDAT 2.0, Metavision EVT 2.0
 * and EVT 3.0, and AEDAT 4.0 (LZ4, Zstandard, uncompressed), each on a synthetic file of N events
 * (default 10 M) written by the project's writers, plus the real AEDAT 4.0 sample. The rate is the
 * best of 3 whole-file streaming reads (file in the page cache, 4 MiB reads; creating the file is
 * not timed). Run through `npm run bench:events`, or alone:
 * node --import tsx bench/events-modern.ts [--events N]
 */
import { existsSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeAedat2 } from '../src/data/events/aedat2-writer.ts';
import { encodeAedat4 } from '../src/data/events/aedat4-writer.ts';
import type { Aedat4Packet } from '../src/data/events/aedat4-writer.ts';
import { encodeDavisAedat2 } from '../src/data/events/davis-writer.ts';
import { streamEventFile } from '../src/data/events/event-file.ts';
import { encodeEvt2, encodeEvt3 } from '../src/data/events/evt-writer.ts';
import { Random } from '../src/util/random.ts';

const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(1)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(1));

function rate(path: string, repeats = 3): { events: number; perSecond: number } {
  let best = Infinity, events = 0;
  for (let r = 0; r < repeats; r++) {
    let n = 0;
    const t0 = performance.now();
    streamEventFile(path, (c) => { n += c.count; });
    const ms = performance.now() - t0;
    if (ms < best) best = ms;
    events = n;
  }
  return { events, perSecond: events / (best / 1000) };
}

/** Random events on a 346×260 sensor, rising timestamps (DVS-like: runs along rows for EVT 3.0 vectors). */
function synthetic(n: number) {
  const rng = new Random(1);
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  let time = 0;
  for (let i = 0; i < n;) {
    const r = (rng.next() * 2 ** 32) >>> 0;
    time += (r >>> 28) & 3;
    const row = (r >>> 9) % 260, pol = (r >>> 20) & 1;
    let col = r % 330;
    for (let k = 0, run = 1 + ((r >>> 24) & 3); k < run && i < n; k++, i++) { x[i] = col; y[i] = row; p[i] = pol; t[i] = time; col += 1 + (k & 1); }
  }
  return { count: n, x, y, t, p };
}

export function benchModernFormats(total: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'snn-bench-modern-'));
  try {
    const ev = synthetic(total);
    console.log(`formats of today's cameras: synthetic files of ${fmt(total)} events (346×260) in ${dir}`);
    const run = (label: string, name: string, make: () => Uint8Array): void => {
      const path = join(dir, name);
      writeFileSync(path, make());
      const r = rate(path);
      console.log(`  ${label.padEnd(24)} ${(statSync(path).size / 2 ** 20).toFixed(0).padStart(4)} MiB: decoded ${fmt(r.events)} events at ${fmt(r.perSecond)} events/s (best of 3)`);
      rmSync(path);
    };
    // The DVS128 reader on the same number of events, for comparison under the same machine load.
    run('AEDAT 2.0, DVS128', 'dvs128.aedat', () => encodeAedat2({ ...ev, x: ev.x.map((v) => v & 127), y: ev.y.map((v) => v & 127) }));
    run('DAVIS AEDAT 2.0', 'davis.aedat', () => encodeDavisAedat2(ev, { chip: 'Davis346red' }));
    run('EVT 2.0', 'evt2.raw', () => encodeEvt2(ev, { width: 346, height: 260 }));
    run('EVT 3.0 (vectorised)', 'evt3.raw', () => encodeEvt3(ev, { width: 346, height: 260 }));
    // DV packs events in packets of a few thousand (about one per millisecond of activity).
    const packets: Aedat4Packet[] = [];
    const epoch = 1.7e15, t = Float64Array.from(ev.t, (v) => v + epoch);
    for (let s = 0; s < total; s += 8192) {
      const e = Math.min(total, s + 8192);
      packets.push({ stream: 0, events: { count: e - s, x: ev.x.subarray(s, e), y: ev.y.subarray(s, e), t: t.subarray(s, e), p: ev.p.subarray(s, e) } });
    }
    for (const [label, compression] of [['AEDAT 4.0, LZ4', 'lz4'], ['AEDAT 4.0, uncompressed', 'none'], ['AEDAT 4.0, Zstd (stored)', 'zstd']] as const) {
      run(label, `${compression}.aedat4`, () => encodeAedat4({ compression, packets }));
    }
    const sample = fileURLToPath(new URL('../../shared/data/events/aedat4/tonic_sample.aedat4', import.meta.url));
    if (existsSync(sample)) {
      const r = rate(sample, 5);
      console.log(`  real: aedat4/tonic_sample.aedat4 (DVXplorer, LZ4): ${fmt(r.events)} events at ${fmt(r.perSecond)} events/s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  benchModernFormats(args.includes('--events') ? Number(args[args.indexOf('--events') + 1]) : 10_000_000);
}

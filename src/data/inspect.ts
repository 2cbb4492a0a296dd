import { extname } from 'node:path';
import { SnnError } from '../errors.ts';
import { withFile } from './events/chunked-file.ts';
import { streamEventFile } from './events/event-file.ts';
import { EventStatsAccumulator } from './events/event-stream.ts';
import { readIdx } from './idx.ts';
import { readMat5 } from './mat5.ts';

/**
 * What `snn-export data inspect` reports about one file. Event files are streamed (any size);
 * checksums are the integer sums `sum_x`, `sum_y`, `sum_t` of `expected_stats.json`.
 */
export type InspectReport = EventFileReport | IdxReport | MatReport;

export interface EventFileReport {
  kind: 'events';
  file: string;
  bytes: number;
  format: string;
  sensor: string;
  width: number;
  height: number;
  origin: string;
  headerLines: number;
  bodyOffset: number;
  events: number;
  /** Records that are not polarity events (special/external, invalid-marked, other packet types). */
  skipped: number;
  /** `skipped` by kind, where the format tells them apart (AEDAT 4.0, EVT, DAVIS AEDAT 2.0). */
  skippedKinds?: Record<string, number>;
  /** Format-specific facts (AEDAT 4.0: compression, streams, data table). */
  details?: Record<string, unknown>;
  onEvents: number;
  xRange: [number, number] | null;
  yRange: [number, number] | null;
  tFirst: number | null;
  tLast: number | null;
  tNondecreasing: boolean;
  /** Decimal strings when beyond 2^53, numbers otherwise. */
  sumX: number | string;
  sumY: number | string;
  sumT: number | string;
}

export interface IdxReport {
  kind: 'idx';
  file: string;
  bytes: number;
  format: string;
  dims: number[];
  valueRange: [number, number] | null;
  labelCounts?: Record<string, number>;
}

export interface MatReport {
  kind: 'mat';
  file: string;
  bytes: number;
  format: string;
  headerText: string;
  variables: { name: string; className: string; dims: number[]; compressed: boolean; offset: number }[];
  /** Counts of the values of a variable named `y`, `label` or `labels` (SVHN: 10 is the digit 0). */
  labelCounts?: Record<string, number>;
}

const LABEL_NAMES = new Set(['y', 'label', 'labels']);

function exactNumber(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function countValues(values: ArrayLike<number | bigint>): Record<string, number> | undefined {
  const counts: Record<string, number> = {};
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v)) return undefined;
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return Object.keys(counts).length <= 1000 ? counts : undefined;
}

/** Recognises the file kind by its first bytes (and `.bin`/`.bs2` for N-MNIST, which has no header). */
export function inspectFile(path: string): InspectReport {
  const head = withFile(path, (f) => ({ bytes: f.readAt(0, 20), size: f.size }));
  const b = head.bytes;
  const text = Buffer.from(b).toString('latin1');
  if (text.startsWith('MATLAB')) {
    const mat = readMat5(path, { decode: (name) => LABEL_NAMES.has(name) });
    const labelVar = mat.variables.find((v) => LABEL_NAMES.has(v.name) && v.data);
    return {
      kind: 'mat', file: path, bytes: head.size, format: 'MATLAB level-5 MAT-file', headerText: mat.headerText,
      variables: mat.variables.map(({ name, className, dims, compressed, offset }) => ({ name, className, dims, compressed, offset })),
      ...(labelVar?.data ? { labelCounts: countValues(labelVar.data) } : {}),
    };
  }
  const isGzip = b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
  if (isGzip || (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0x08)) {
    const idx = readIdx(path);
    let lo = 255, hi = 0;
    for (let i = 0; i < idx.data.length; i++) { const v = idx.data[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    return {
      kind: 'idx', file: path, bytes: head.size, format: `IDX unsigned bytes${isGzip ? ' (gzip)' : ''}`, dims: idx.dims,
      valueRange: idx.data.length ? [lo, hi] : null,
      ...(idx.dims.length === 1 ? { labelCounts: countValues(idx.data) } : {}),
    };
  }
  if (b.length > 0 && (b[0] === 0x23 || b[0] === 0x25 || ['.bin', '.bs2'].includes(extname(path).toLowerCase()))) {
    const acc = new EventStatsAccumulator();
    const summary = streamEventFile(path, (chunk) => { acc.add(chunk); });
    const s = acc.result();
    const info = summary.info;
    return {
      kind: 'events', file: path, bytes: head.size, format: info.format, sensor: info.sensor, width: info.width, height: info.height,
      origin: info.origin, headerLines: info.headerLines.length, bodyOffset: info.bodyOffset, events: s.events, skipped: summary.skipped,
      onEvents: s.onEvents, xRange: s.xRange, yRange: s.yRange, tFirst: s.tFirst, tLast: s.tLast, tNondecreasing: s.tNondecreasing,
      sumX: exactNumber(s.sumX), sumY: exactNumber(s.sumY), sumT: exactNumber(s.sumT),
      ...(summary.skippedKinds ? { skippedKinds: summary.skippedKinds } : {}),
      ...(summary.details ? { details: summary.details } : {}),
    };
  }
  if (head.size === 0) throw new SnnError('malformedInput', `${path}: offset 0: empty file`);
  throw new SnnError('malformedInput', `${path}: offset 0: not a file kind snn-export reads (IDX, gzip IDX, MATLAB level-5 .mat, AEDAT 1.0/2.0/3.1/4.0 starting with '#', Metavision RAW EVT 2.0/3.0 starting with '%', N-MNIST .bin)`);
}

/** The report as aligned `key: value` lines for a terminal. */
export function formatReport(report: InspectReport): string {
  const rows: [string, string][] = [];
  const fmt = (k: string, v: unknown): string => {
    if (k.endsWith('Range') && Array.isArray(v)) return `${v[0]} … ${v[1]}`;
    return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  };
  for (const [k, v] of Object.entries(report)) {
    if (k === 'variables') {
      for (const variable of v as MatReport['variables']) rows.push([`variable ${variable.name}`, `${variable.className} (${variable.dims.join('×')})${variable.compressed ? ', compressed' : ''}, offset ${variable.offset}`]);
      continue;
    }
    rows.push([k, k === 'dims' ? (v as number[]).join('×') : fmt(k, v)]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

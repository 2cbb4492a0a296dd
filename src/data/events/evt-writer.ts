/**
 * Metavision RAW writers (EVT 2.0 and EVT 3.0), for tests, benchmarks and fuzzing: the layouts
 * `evt.ts` reads. Events must come in time order. EVT 3.0 output is vectorised as cameras do it:
 * consecutive events with the same time, row and polarity whose x lie within 12 of a base become
 * one VECT_BASE_X and VECT_12/VECT_8 words.
 */

export interface EvtEvents {
  count: number;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number>;
}

export interface EvtWriteOptions {
  width: number;
  height: number;
  /** Extra header lines (without `% `). */
  header?: string[];
  /** Trigger words written before the event of each index (any index up to `count`). */
  triggersBefore?: number[];
  /** OTHERS words (followed by one CONTINUED word) written before the event of each index. */
  othersBefore?: number[];
}

function headerBytes(version: 2 | 3, o: EvtWriteOptions): Buffer {
  const lines = [`% evt ${version}.0`, `% format EVT${version};height=${o.height};width=${o.width}`, `% geometry ${o.width}x${o.height}`, ...(o.header ?? []).map((l) => `% ${l}`), '% end'];
  return Buffer.from(lines.join('\n') + '\n', 'latin1');
}

function countAt(list: number[] | undefined): Map<number, number> {
  const m = new Map<number, number>();
  for (const i of list ?? []) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/** EVT 2.0: one 32-bit word per event, a TIME_HIGH word whenever t >> 6 changes. */
export function encodeEvt2(e: EvtEvents, o: EvtWriteOptions): Uint8Array {
  const trig = countAt(o.triggersBefore), others = countAt(o.othersBefore);
  const extra = (o.triggersBefore?.length ?? 0) + 2 * (o.othersBefore?.length ?? 0);
  const words = new Uint32Array(2 * e.count + extra + 1);
  let n = 0, lastHigh = -1;
  const time = (t: number): void => {
    const high = Math.floor(t / 64);
    if (high !== lastHigh) { words[n++] = (0x80000000 | (high % 2 ** 28)) >>> 0; lastHigh = high; }
  };
  for (let i = 0; i <= e.count; i++) {
    const t = i < e.count ? e.t[i] : e.count ? e.t[e.count - 1] : 0;
    for (let k = trig.get(i) ?? 0; k > 0; k--) { time(t); words[n++] = (0xa0000000 | ((t % 64) << 22) | 1) >>> 0; }
    for (let k = others.get(i) ?? 0; k > 0; k--) { time(t); words[n++] = 0xe0000000 | 7; words[n++] = 0xf0000000 | 3; }
    if (i === e.count) break;
    time(t);
    words[n++] = (((e.p[i] ? 1 : 0) << 28) | ((t % 64) << 22) | (e.x[i] << 11) | e.y[i]) >>> 0;
  }
  return Buffer.concat([headerBytes(2, o), Buffer.from(words.buffer, 0, n * 4)]);
}

/** EVT 3.0: TIME_HIGH / TIME_LOW when they change, EVT_ADDR_Y when the row changes, vectors for runs. */
export function encodeEvt3(e: EvtEvents, o: EvtWriteOptions): Uint8Array {
  const trig = countAt(o.triggersBefore), others = countAt(o.othersBefore);
  const words = new Uint16Array(4 * e.count + 8 + 2 * ((o.triggersBefore?.length ?? 0) + 2 * (o.othersBefore?.length ?? 0)) + 1024);
  let n = 0, words16 = words;
  const push = (w: number): void => {
    if (n === words16.length) { const b = new Uint16Array(words16.length * 2); b.set(words16); words16 = b; }
    words16[n++] = w;
  };
  let high = -1, low = -1, row = -1;
  const time = (t: number): void => {
    const h = Math.floor(t / 4096);
    // Time highs more than half their 12-bit range apart would read as a wrap: step in between.
    if (high >= 0) for (let s = high + 2047; s < h; s += 2047) push(0x8000 | (s % 4096));
    if (h !== high) { push(0x8000 | (h % 4096)); high = h; low = -1; }
    if (t % 4096 !== low) { low = t % 4096; push(0x6000 | low); }
  };
  for (let i = 0; i <= e.count;) {
    const t = i < e.count ? e.t[i] : e.count ? e.t[e.count - 1] : 0;
    for (let k = trig.get(i) ?? 0; k > 0; k--) { time(t); push(0xa001); }
    for (let k = others.get(i) ?? 0; k > 0; k--) { time(t); push(0xe007); push(0xf003); }
    trig.delete(i); others.delete(i);
    if (i === e.count) break;
    time(t);
    if (e.y[i] !== row) { row = e.y[i]; push(row); }
    // A run: same t, y, p, x rising within 12 of the first (and no trigger in between).
    let j = i + 1;
    while (j < e.count && j - i < 12 && e.t[j] === t && e.y[j] === row && (e.p[j] ? 1 : 0) === (e.p[i] ? 1 : 0) && e.x[j] > e.x[j - 1] && e.x[j] < e.x[i] + 12 && !trig.has(j) && !others.has(j)) j++;
    const pol = e.p[i] ? 1 : 0;
    if (j - i === 1) push(0x2000 | (pol << 11) | e.x[i]);
    else {
      push(0x3000 | (pol << 11) | e.x[i]);
      let valid = 0;
      for (let k = i; k < j; k++) valid |= 1 << (e.x[k] - e.x[i]);
      if (valid < 256) push(0x5000 | valid); else push(0x4000 | valid);
    }
    i = j;
  }
  return Buffer.concat([headerBytes(3, o), Buffer.from(words16.buffer, 0, n * 2)]);
}

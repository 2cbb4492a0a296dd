/**
 * The simulator's hot loops in WebAssembly SIMD: adding each input spike's weight rows to the
 * accumulator, sixteen bytes (four int32 or eight int16 lanes) at a time. Scalar JavaScript tops
 * out at a few hundred million additions per second on this machine class; the conv layers of
 * `csnn` need tens of millions per sample. The module is assembled here from its opcodes (no build
 * step, no binary in the repository), so that the code that runs is the code that is read.
 *
 * The synapse table is a list of runs: input address a owns runs q in [offsets[a], offsets[a+1]),
 * run q being four uint32 at `runs + 16q`: (accumulator byte offset, weight byte offset, length in
 * 16-byte vectors, unused). A run adds a contiguous stretch of weights to a contiguous stretch of
 * the accumulator: for a conv layer one kernel row (all its taps that land in the output map, all
 * output channels), for a dense layer one weight row.
 *
 * `scatter32` / `scatter16(acc, w, runs, offsets, addresses, from, to)`, all pointers byte offsets
 * into the module's memory:
 *
 *   for e in [from, to):
 *     a = addresses[e]
 *     for q in [offsets[a], offsets[a + 1]):
 *       (accOff, wOff, n) = runs[q]
 *       for v in [0, n): 16 bytes at acc + accOff + 16v += 16 bytes at w + wOff + 16v
 *         as i32x4 (scatter32) or i16x8 (scatter16), unrolled by eight
 *
 * The additions wrap modulo 2^32 (2^16), exactly like an Int32Array (Int16Array) accumulator.
 * `flush(acc32, acc16, n)` widens n vectors of int16 sums into the int32 accumulator (acc32 +=
 * sign-extended acc16, lane for lane) and clears them (`flushSet`: acc32 = sign-extended acc16, for
 * the first group of a step, so that acc32 needs no clearing of its own): the simulator sums a group of inputs in
 * int16 only when no partial sum of the group can leave int16 (see `LayerKernel.groupOf`).
 *
 * `maxPool2(acc, out, rowBytes, outH, outW, vectors)`: the 2×2 max pool of a channel-last int32
 * map (`vectors` 16-byte vectors per position, `rowBytes` per map row) into `out`, channel-last,
 * pooled position by pooled position, with i32x4.max_s.
 */

// Opcodes (WebAssembly core spec 2.0, SIMD proposal).
const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i32Const: 0x41, i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f,
  i32Add: 0x6a, i32Shl: 0x74,
  simd: 0xfd, v128Load: 0x00, v128Store: 0x0b, v128Const: 0x0c,
  i16x8Add: 0x8e, i32x4Add: 0xae, i32x4MaxS: 0xb8, i32x4ExtendLowI16x8S: 0xa7, i32x4ExtendHighI16x8S: 0xa8,
} as const;
const VOID = 0x40, I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const get = (l: number) => [OP.localGet, l];
const set = (l: number) => [OP.localSet, l];
const load = (offset = 0) => [OP.i32Load, 2, ...uleb(offset)];
const c = (n: number) => [OP.i32Const, ...sleb(n)];
const add = [OP.i32Add];
const simd = (op: number) => [OP.simd, ...uleb(op)];
const v128Load = (offset: number) => [...simd(OP.v128Load), 4, ...uleb(offset)];
const v128Store = (offset: number) => [...simd(OP.v128Store), 4, ...uleb(offset)];
/** local += n */
const bump = (l: number, n: number) => [...get(l), ...c(n), ...add, ...set(l)];
const word = (index: number[], base: number) => [...index, ...c(2), OP.i32Shl, ...get(base), ...add]; // base + 4·index

// Parameters 0–6 and locals 7–12 of the scatters.
const [ACC, W, RUNS, OFFSETS, ADDR, FROM, TO] = [0, 1, 2, 3, 4, 5, 6];
const [E, Q, Q_END, ACC_P, W_P, N] = [7, 8, 9, 10, 11, 12];

function scatterBody(laneAdd: number): number[] {
  /** acc[ACC_P + offset] += w[W_P + offset], one vector. */
  const addVector = (offset: number) => [...get(ACC_P), ...get(ACC_P), ...v128Load(offset), ...get(W_P), ...v128Load(offset), ...simd(laneAdd), ...v128Store(offset)];
  const unroll = 8;
  return [
    ...get(FROM), ...set(E),
    OP.block, VOID, OP.loop, VOID,
    ...get(E), ...get(TO), OP.i32GeU, OP.brIf, 1,
    // q = offsets[addresses[e]], qEnd = offsets[addresses[e] + 1] (N serves as scratch for the address)
    ...word(get(E), ADDR), ...load(), ...set(N),
    ...word(get(N), OFFSETS), ...load(), ...set(Q),
    ...word(get(N), OFFSETS), ...load(4), ...set(Q_END),
    OP.block, VOID, OP.loop, VOID,
    ...get(Q), ...get(Q_END), OP.i32GeU, OP.brIf, 1,
    // the run at runs + 16q: accP = acc + accOff, wP = w + wOff, n = length (W_P holds the run's address first)
    ...get(Q), ...c(4), OP.i32Shl, ...get(RUNS), ...add, OP.localTee, W_P,
    ...load(8), ...set(N),
    ...get(W_P), ...load(), ...get(ACC), ...add, ...set(ACC_P),
    ...get(W_P), ...load(4), ...get(W), ...add, ...set(W_P),
    // `unroll` vectors per iteration while that many remain, then one at a time.
    OP.block, VOID, OP.loop, VOID,
    ...get(N), ...c(unroll), OP.i32LtU, OP.brIf, 1,
    ...Array.from({ length: unroll }, (_, i) => addVector(16 * i)).flat(),
    ...bump(ACC_P, 16 * unroll), ...bump(W_P, 16 * unroll), ...bump(N, -unroll),
    OP.br, 0,
    OP.end, OP.end,
    OP.block, VOID, OP.loop, VOID,
    ...get(N), OP.i32Eqz, OP.brIf, 1,
    ...addVector(0),
    ...bump(ACC_P, 16), ...bump(W_P, 16), ...bump(N, -1),
    OP.br, 0,
    OP.end, OP.end,
    ...bump(Q, 1),
    OP.br, 0,
    OP.end, OP.end,
    ...bump(E, 1),
    OP.br, 0,
    OP.end, OP.end,
    OP.end,
  ];
}

// Parameters of `flush`.
const [F_ACC32, F_ACC16, F_N] = [0, 1, 2];

/** `flush`, or with `set` `flushSet`: acc32 = sign-extended acc16 (the first group of a step, into an uncleared acc32). */
function flushBody(set: boolean): number[] {
  const widen = (offset: number, extend: number) => set
    ? [...get(F_ACC32), ...get(F_ACC16), ...v128Load(0), ...simd(extend), ...v128Store(offset)]
    : [...get(F_ACC32), ...get(F_ACC32), ...v128Load(offset), ...get(F_ACC16), ...v128Load(0), ...simd(extend), ...simd(OP.i32x4Add), ...v128Store(offset)];
  return [
    OP.block, VOID, OP.loop, VOID,
    ...get(F_N), OP.i32Eqz, OP.brIf, 1,
    ...widen(0, OP.i32x4ExtendLowI16x8S),
    ...widen(16, OP.i32x4ExtendHighI16x8S),
    ...get(F_ACC16), ...simd(OP.v128Const), ...new Array<number>(16).fill(0), ...v128Store(0),
    ...bump(F_ACC32, 32), ...bump(F_ACC16, 16), ...bump(F_N, -1),
    OP.br, 0,
    OP.end, OP.end,
    OP.end,
  ];
}

// Parameters 0–5 and locals 6–11 of `maxPool2`.
const [P_ACC, P_OUT, P_ROW, P_OH, P_OW, P_VEC] = [0, 1, 2, 3, 4, 5];
const [P_ROW_P, P_S, P_X, P_V, P_Y, P_POS] = [6, 7, 8, 9, 10, 11];

function maxPool2Body(): number[] {
  const at = (offset: number[]) => [...get(P_S), ...offset, ...v128Load(0)];
  const plus = (l: number) => [...get(l), ...add];
  return [
    // posBytes = 16·vectors; rowP = acc
    ...get(P_VEC), ...c(4), OP.i32Shl, ...set(P_POS),
    ...get(P_ACC), ...set(P_ROW_P),
    ...get(P_OH), ...set(P_Y),
    OP.block, VOID, OP.loop, VOID,
    ...get(P_Y), OP.i32Eqz, OP.brIf, 1,
    ...get(P_ROW_P), ...set(P_S),
    ...get(P_OW), ...set(P_X),
    OP.block, VOID, OP.loop, VOID,
    ...get(P_X), OP.i32Eqz, OP.brIf, 1,
    ...get(P_VEC), ...set(P_V),
    OP.block, VOID, OP.loop, VOID,
    ...get(P_V), OP.i32Eqz, OP.brIf, 1,
    // out = max(max(s, s + pos), max(s + row, s + row + pos))
    ...get(P_OUT),
    ...at([]), ...at(plus(P_POS)), ...simd(OP.i32x4MaxS),
    ...at(plus(P_ROW)), ...at([...plus(P_ROW), ...plus(P_POS)]), ...simd(OP.i32x4MaxS),
    ...simd(OP.i32x4MaxS),
    ...v128Store(0),
    ...bump(P_OUT, 16), ...bump(P_S, 16), ...bump(P_V, -1),
    OP.br, 0,
    OP.end, OP.end,
    // skip the window's second column
    ...get(P_S), ...get(P_POS), ...add, ...set(P_S),
    ...bump(P_X, -1),
    OP.br, 0,
    OP.end, OP.end,
    // next pair of rows
    ...get(P_ROW_P), ...get(P_ROW), ...add, ...get(P_ROW), ...add, ...set(P_ROW_P),
    ...bump(P_Y, -1),
    OP.br, 0,
    OP.end, OP.end,
    OP.end,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, [3, 0x60, 7, ...new Array<number>(7).fill(I32), 0, 0x60, 3, I32, I32, I32, 0, 0x60, 6, ...new Array<number>(6).fill(I32), 0]);
  const imports = section(2, [1, ...uleb(3), ...Buffer.from('env'), ...uleb(6), ...Buffer.from('memory'), 0x02, 0x00, 1]);
  const funcs = section(3, [5, 0, 0, 1, 1, 2]);
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s)];
  const exports = section(7, [5, ...name('scatter32'), 0x00, 0, ...name('scatter16'), 0x00, 1, ...name('flush'), 0x00, 2, ...name('flushSet'), 0x00, 3, ...name('maxPool2'), 0x00, 4]);
  const fn = (locals: number, body: number[]) => {
    const b = [...(locals ? [1, locals, I32] : [0]), ...body];
    return [...uleb(b.length), ...b];
  };
  const code = section(10, [5, ...fn(6, scatterBody(OP.i32x4Add)), ...fn(6, scatterBody(OP.i16x8Add)), ...fn(0, flushBody(false)), ...fn(0, flushBody(true)), ...fn(6, maxPool2Body())]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}

/** A scatter's signature: see the module comment. */
export type Scatter = (acc: number, w: number, runs: number, offsets: number, addresses: number, from: number, to: number) => void;
export type Flush = (acc32: number, acc16: number, vectors: number) => void;
export type MaxPool2 = (acc: number, out: number, rowBytes: number, outH: number, outW: number, vectors: number) => void;

export interface SimdKernels { scatter32: Scatter; scatter16: Scatter; flush: Flush; flushSet: Flush; maxPool2: MaxPool2 }

/**
 * One block of memory holding the simulator's int32 arrays, 16-byte aligned, with the SIMD loops
 * over it — or, where WebAssembly SIMD is missing, plain memory and no loops (the caller then
 * loops in JavaScript over the same layout).
 */
export class Arena {
  readonly buffer: ArrayBuffer;
  readonly kernels: SimdKernels | undefined;
  private used = 0;

  /** `simd: false` keeps plain memory and no loops, so that tests cover the JavaScript path too. */
  constructor(bytes: number, simd = true) {
    let kernels: SimdKernels | undefined;
    let buffer: ArrayBuffer;
    try {
      if (!simd) throw new Error('SIMD not wanted');
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), { env: { memory } });
      const e = instance.exports;
      kernels = { scatter32: e.scatter32 as Scatter, scatter16: e.scatter16 as Scatter, flush: e.flush as Flush, flushSet: e.flushSet as Flush, maxPool2: e.maxPool2 as MaxPool2 };
      buffer = memory.buffer;
    } catch {
      buffer = new ArrayBuffer(bytes);
    }
    this.buffer = buffer;
    this.kernels = kernels;
  }

  /** Reserves `count` int32 values (or 2·count int16), returning their byte offset. The memory never grows, so views stay valid. */
  alloc(count: number): number {
    const ptr = this.used;
    this.used += Math.ceil((count * 4) / 16) * 16;
    if (this.used > this.buffer.byteLength) throw new RangeError(`Arena: ${this.used} bytes exceed the ${this.buffer.byteLength} reserved`);
    return ptr;
  }

  int32(ptr: number, count: number): Int32Array { return new Int32Array(this.buffer, ptr, count); }
  int16(ptr: number, count: number): Int16Array { return new Int16Array(this.buffer, ptr, count); }
  uint32(ptr: number, count: number): Uint32Array { return new Uint32Array(this.buffer, ptr, count); }
}

/** Bytes `alloc` will use for arrays of these lengths. */
export const arenaBytes = (counts: number[]): number => counts.reduce((n, c) => n + Math.ceil((c * 4) / 16) * 16, 0);

/**
 * The simulator's hot loop in WebAssembly SIMD: adding each input spike's weight rows to the
 * accumulator, four 32-bit lanes at a time. Scalar JavaScript tops out at a few hundred million
 * additions per second on this machine class; the conv layers of `csnn` need tens of millions
 * per sample. The module is assembled here from its opcodes (no build step, no binary in the
 * repository), so that the code that runs is the code that is read.
 *
 * `scatter(acc, w, tableOffsets, tablePairs, addresses, from, to, groups)`, all pointers byte
 * offsets into the module's memory:
 *
 *   for e in [from, to):
 *     a = addresses[e]
 *     for q in [tableOffsets[a], tableOffsets[a + 1]):
 *       accRow = acc + tablePairs[2q]; wRow = w + tablePairs[2q + 1]
 *       for g in [0, groups): i32x4 at accRow + 16g += i32x4 at wRow + 16g   (unrolled by four)
 *
 * The additions wrap modulo 2^32, exactly like the Int32Array accumulator they replace.
 */

// Opcodes (WebAssembly core spec 2.0, SIMD proposal).
const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i32Const: 0x41, i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f,
  i32Add: 0x6a, i32Shl: 0x74,
  simd: 0xfd, v128Load: 0x00, v128Store: 0x0b, i32x4Add: 0xae,
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

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

// Parameters 0–7 and locals 8–14 of `scatter`.
const [ACC, W, TAB_OFF, TAB_PAIRS, ADDR, FROM, TO, GROUPS] = [0, 1, 2, 3, 4, 5, 6, 7];
const [E, Q, Q_END, ACC_ROW, W_ROW, G, A] = [8, 9, 10, 11, 12, 13, 14];

const get = (l: number) => [OP.localGet, l];
const set = (l: number) => [OP.localSet, l];
const load = (offset = 0) => [OP.i32Load, 2, ...uleb(offset)];
const add = [OP.i32Add];
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

const c = (n: number) => [OP.i32Const, ...sleb(n)];
/** acc[ACC_ROW + offset] += w[W_ROW + offset] as one i32x4 operation. */
const addLanes = (offset: number) => [
  ...get(ACC_ROW),
  ...get(ACC_ROW), OP.simd, OP.v128Load, 4, ...uleb(offset),
  ...get(W_ROW), OP.simd, OP.v128Load, 4, ...uleb(offset),
  OP.simd, ...uleb(OP.i32x4Add),
  OP.simd, OP.v128Store, 4, ...uleb(offset),
];
const word = (index: number[], base: number) => [...index, ...c(2), OP.i32Shl, ...get(base), ...add]; // base + 4·index

function scatterBody(): number[] {
  return [
    // e = from
    ...get(FROM), ...set(E),
    OP.block, VOID, OP.loop, VOID,
    ...get(E), ...get(TO), OP.i32GeU, OP.brIf, 1,
    // a = addresses[e]; q = tableOffsets[a]; qEnd = tableOffsets[a + 1]
    ...word(get(E), ADDR), ...load(), ...set(A),
    ...word(get(A), TAB_OFF), ...load(), ...set(Q),
    ...word(get(A), TAB_OFF), ...load(4), ...set(Q_END),
    OP.block, VOID, OP.loop, VOID,
    ...get(Q), ...get(Q_END), OP.i32GeU, OP.brIf, 1,
    // accRow = acc + tablePairs[2q]; wRow = w + tablePairs[2q + 1]
    ...get(Q), ...c(3), OP.i32Shl, ...get(TAB_PAIRS), ...add, OP.localTee, G, ...load(), ...get(ACC), ...add, ...set(ACC_ROW),
    ...get(G), ...load(4), ...get(W), ...add, ...set(W_ROW),
    // g = groups; four groups per iteration while at least four remain (one loop test per 16 lanes), then one at a time.
    ...get(GROUPS), ...set(G),
    OP.block, VOID, OP.loop, VOID,
    ...get(G), ...c(4), OP.i32LtU, OP.brIf, 1,
    ...addLanes(0), ...addLanes(16), ...addLanes(32), ...addLanes(48),
    ...get(ACC_ROW), ...c(64), ...add, ...set(ACC_ROW),
    ...get(W_ROW), ...c(64), ...add, ...set(W_ROW),
    ...get(G), ...c(-4), ...add, ...set(G),
    OP.br, 0,
    OP.end, OP.end,
    OP.block, VOID, OP.loop, VOID,
    ...get(G), OP.i32Eqz, OP.brIf, 1,
    ...addLanes(0),
    ...get(ACC_ROW), ...c(16), ...add, ...set(ACC_ROW),
    ...get(W_ROW), ...c(16), ...add, ...set(W_ROW),
    ...get(G), ...c(-1), ...add, ...set(G),
    OP.br, 0,
    OP.end, OP.end,
    ...get(Q), ...c(1), ...add, ...set(Q),
    OP.br, 0,
    OP.end, OP.end,
    ...get(E), ...c(1), ...add, ...set(E),
    OP.br, 0,
    OP.end, OP.end,
    OP.end,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, 8, ...Array(8).fill(I32), 0]);
  const imports = section(2, [1, ...uleb(3), ...Buffer.from('env'), ...uleb(6), ...Buffer.from('memory'), 0x02, 0x00, 1]);
  const funcs = section(3, [1, 0]);
  const exports = section(7, [1, ...uleb(7), ...Buffer.from('scatter'), 0x00, 0]);
  const body = [1, 7, I32, ...scatterBody()];
  const code = section(10, [1, ...uleb(body.length), ...body]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}

/** The scatter's signature: see the module comment. */
export type Scatter = (acc: number, w: number, tableOffsets: number, tablePairs: number, addresses: number, from: number, to: number, groups: number) => void;

/**
 * One block of memory holding the simulator's int32 arrays, 16-byte aligned, with the SIMD scatter
 * over it — or, where WebAssembly SIMD is missing, plain memory and no scatter (the caller then
 * loops in JavaScript over the same layout).
 */
export class Arena {
  readonly buffer: ArrayBuffer;
  readonly scatter: Scatter | undefined;
  private used = 0;

  /** `simd: false` keeps plain memory and no scatter, so that tests cover the JavaScript path too. */
  constructor(bytes: number, simd = true) {
    let scatter: Scatter | undefined;
    let buffer: ArrayBuffer;
    try {
      if (!simd) throw new Error('SIMD not wanted');
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), { env: { memory } });
      scatter = instance.exports.scatter as Scatter;
      buffer = memory.buffer;
    } catch {
      buffer = new ArrayBuffer(bytes);
    }
    this.buffer = buffer;
    this.scatter = scatter;
  }

  /** Reserves `count` int32 values, returning their byte offset. The memory never grows, so views stay valid. */
  alloc(count: number): number {
    const ptr = this.used;
    this.used += Math.ceil((count * 4) / 16) * 16;
    if (this.used > this.buffer.byteLength) throw new RangeError(`Arena: ${this.used} bytes exceed the ${this.buffer.byteLength} reserved`);
    return ptr;
  }

  int32(ptr: number, count: number): Int32Array { return new Int32Array(this.buffer, ptr, count); }
  uint32(ptr: number, count: number): Uint32Array { return new Uint32Array(this.buffer, ptr, count); }
}

/** Bytes `alloc` will use for arrays of these lengths. */
export const arenaBytes = (counts: number[]): number => counts.reduce((n, c) => n + Math.ceil((c * 4) / 16) * 16, 0);

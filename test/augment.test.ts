import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentedEpoch, drawTransform, parseAugmentation, transformPlanes } from '../src/data/augment.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { SnnError } from '../src/errors.ts';

/** Two samples of shape [2, 5, 6]: value = 1 + plane·100 + row·10 + column, never zero. */
const H = 5, W = 6, planes = 2;
const ds: Dataset = {
  name: 'grid', count: 2, sampleShape: [planes, H, W], temporal: false, classes: 2, labels: new Uint8Array([0, 1]),
  writeSample(index, out, offset) {
    for (let p = 0; p < planes; p++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[offset + (p * H + y) * W + x] = 1 + p * 100 + y * 10 + x + index * 1000;
  },
  describe: () => ({ name: 'grid' }),
};

/** The (dy, dx) that maps the original onto the written sample, found from its values. */
function shiftOf(out: Float32Array, index: number): [number, number] {
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = out[y * W + x];
    if (v !== 0) { const r = v - 1 - index * 1000; return [y - Math.floor(r / 10), x - (r % 10)]; }
  }
  throw new Error('empty sample');
}

test('shift:K translates every plane of a sample by the same (dy, dx) within ±K, fills the border with zeros, and draws the shift from (seed, epoch, index)', () => {
  const aug = parseAugmentation('shift:2')!;
  const seen = new Set<string>();
  for (let epoch = 0; epoch < 40; epoch++) {
    const view = augmentedEpoch(ds, aug, 7, epoch);
    const out = new Float32Array(planes * H * W + 3).fill(-1);
    view.writeSample(1, out, 3);
    assert.deepEqual(Array.from(out.subarray(0, 3)), [-1, -1, -1], 'writes only its own slot');
    const sample = out.subarray(3);
    const [dy, dx] = shiftOf(sample, 1);
    assert.ok(Math.abs(dy) <= 2 && Math.abs(dx) <= 2, `shift (${dy}, ${dx})`);
    seen.add(`${dy},${dx}`);
    for (let p = 0; p < planes; p++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const sy = y - dy, sx = x - dx;
      const expected = sy >= 0 && sy < H && sx >= 0 && sx < W ? 1 + p * 100 + sy * 10 + sx + 1000 : 0;
      assert.equal(sample[(p * H + y) * W + x], expected, `epoch ${epoch} plane ${p} (${y}, ${x})`);
    }
    const again = new Float32Array(planes * H * W);
    augmentedEpoch(ds, aug, 7, epoch).writeSample(1, again, 0);
    assert.deepEqual(again, sample, 'the same (seed, epoch, index) gives the same shift');
  }
  assert.ok(seen.size >= 15, `epochs draw different shifts (${seen.size} of 25 seen)`);
});

test('rotate:D and scale:S draw a rotation within ±D degrees and a scale within 1 ± S per (seed, epoch, index), after the same shift draws as shift:K alone', () => {
  const aug = parseAugmentation('shift:2,rotate:10,scale:0.1')!;
  const plain = parseAugmentation('shift:2')!;
  const angles = new Set<number>();
  for (let index = 0; index < 200; index++) {
    const t = drawTransform(aug, 3, 1, index);
    assert.ok(Math.abs(t.degrees) <= 10 && Math.abs(t.scale - 1) <= 0.1, JSON.stringify(t));
    assert.deepEqual(drawTransform(aug, 3, 1, index), t);
    const s = drawTransform(plain, 3, 1, index);
    assert.deepEqual([s.dy, s.dx, s.degrees, s.scale], [t.dy, t.dx, 0, 1]);
    angles.add(Math.round(t.degrees));
  }
  assert.ok(angles.size >= 15, `angles spread over the range (${angles.size} distinct degrees)`);
});

test('a rotated or scaled sample is the source sampled bilinearly at the inverse-transformed position', () => {
  const n = 5, src = Float32Array.from({ length: 2 * n * n }, (_, i) => i + 1);
  const out = new Float32Array(2 * n * n);
  transformPlanes(src, out, 0, 2, n, n, { dy: 0, dx: 0, degrees: 90, scale: 1 });
  for (let p = 0; p < 2; p++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    assert.ok(Math.abs(out[(p * n + y) * n + x] - src[(p * n + (n - 1 - x)) * n + y]) < 1e-4, `90° at plane ${p} (${y}, ${x})`);
  }
  transformPlanes(src, out, 0, 2, n, n, { dy: 1, dx: 0, degrees: 0, scale: 2 });
  // Scale 2 about the centre (2, 2), then down one row: output (4, 3) samples source (2.5, 2.5), and (0, 0) samples (0.5, 1).
  assert.ok(Math.abs(out[4 * n + 3] - (src[2 * n + 2] + src[2 * n + 3] + src[3 * n + 2] + src[3 * n + 3]) / 4) < 1e-4);
  assert.ok(Math.abs(out[0] - (src[1] + src[n + 1]) / 2) < 1e-4);
  transformPlanes(src, out, 0, 2, n, n, { dy: 0, dx: 0, degrees: 0, scale: 0.5 });
  assert.equal(out[0], 0, 'a shrunk image leaves a zero border');
  assert.ok(Math.abs(out[2 * n + 2] - src[2 * n + 2]) < 1e-6, 'the centre stays');
});

test('--augment accepts none and lists of shift:K, rotate:D, scale:S and rejects anything else as a usage error', () => {
  assert.equal(parseAugmentation('none'), undefined);
  assert.deepEqual(parseAugmentation('shift:3'), { shift: 3 });
  assert.deepEqual(parseAugmentation('shift:2,rotate:12.5,scale:0.1'), { shift: 2, rotate: 12.5, scale: 0.1 });
  assert.deepEqual(parseAugmentation('rotate:5'), { shift: 0, rotate: 5 });
  for (const bad of ['shift', 'shift:0', 'shift:-1', 'flip', 'shift:2.5', 'shift:2,shift:3', 'rotate:0', 'rotate:200', 'scale:1', 'shift:2,', 'scale:0']) {
    assert.throws(() => parseAugmentation(bad), (e: unknown) => e instanceof SnnError && e.kind === 'usage' && /--augment/.test(e.message), bad);
  }
});

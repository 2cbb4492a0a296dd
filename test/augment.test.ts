import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentedEpoch, parseAugmentation } from '../src/data/augment.ts';
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

test('--augment accepts none and shift:K and rejects anything else as a usage error', () => {
  assert.equal(parseAugmentation('none'), undefined);
  assert.deepEqual(parseAugmentation('shift:3'), { shift: 3 });
  for (const bad of ['shift', 'shift:0', 'shift:-1', 'flip', 'shift:2.5']) {
    assert.throws(() => parseAugmentation(bad), (e: unknown) => e instanceof SnnError && e.kind === 'usage' && /--augment/.test(e.message), bad);
  }
});

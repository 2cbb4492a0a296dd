/** Synthetic event streams for seed files. */
import { Random } from '../../../src/util/random.ts';

/** Events on a `width × height` sensor in time order. */
export function events(n: number, width: number, height: number, seed: number) {
  const rng = new Random(seed);
  const x: number[] = [], y: number[] = [], t: number[] = [], p: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(Math.floor(rng.next() * width)); y.push(Math.floor(rng.next() * height));
    t.push(500 + i * 53 + Math.floor(rng.next() * 40)); p.push(rng.next() < 0.5 ? 1 : 0);
  }
  return { count: n, x, y, t, p };
}


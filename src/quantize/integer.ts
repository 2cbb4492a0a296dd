/**
 * The integer operations that hardware profiles are made of, each stated once. The quantizer uses
 * them to predict what a target does to a float network; the hardware simulator (runtimes/hwsim)
 * inlines the same rules in its hot loops. All values are JavaScript numbers holding integers:
 * every intermediate stays below 2^53, so the arithmetic is exact unless a rule says otherwise.
 */
import type { OverflowRule } from './profile.ts';

/** A state register's width and overflow rule, resolved to bounds once. */
export interface Register {
  bits: number;
  rule: OverflowRule;
  /** Smallest value the rule keeps. */
  min: number;
  /** Largest value the rule keeps. */
  max: number;
}

export function register(bits: number, rule: OverflowRule): Register {
  const half = 2 ** (bits - 1);
  switch (rule) {
    case 'saturate': return { bits, rule, min: -half, max: half - 1 };
    case 'saturate-symmetric': return { bits, rule, min: -(half - 1), max: half - 1 };
    case 'wrap': return { bits, rule, min: -half, max: half - 1 };
    // Lava keeps +2^(b−1) and maps −2^(b−1) to +2^(b−1): the kept range is (−2^(b−1), 2^(b−1)].
    case 'wrap-once': return { bits, rule, min: -half + 1, max: half };
  }
}

/** Applies a register's overflow rule to an exact integer. */
export function overflow(x: number, r: Register): number {
  switch (r.rule) {
    case 'saturate':
    case 'saturate-symmetric':
      return x > r.max ? r.max : x < r.min ? r.min : x;
    case 'wrap': {
      const m = 2 ** r.bits;
      const y = ((x % m) + m) % m;
      return y > r.max ? y - m : y;
    }
    case 'wrap-once': {
      const m = 2 ** r.bits;
      // One correction only, as Lava does: a value far outside stays outside (loihi-bitacc.md).
      return x > m / 2 ? x - m : x <= -m / 2 ? x + m : x;
    }
  }
}

/** Two's complement wrap to 32 bits (numpy int32 arithmetic in Lava's models). */
export const int32 = (x: number): number => x | 0;

/**
 * The weighted sum scaled by the layer's exponent: a left shift for e ≥ 0, an arithmetic (flooring)
 * right shift for e < 0 — Lava floors the summed drive (−6 >> 2 = −2).
 */
export function applyExponent(acc: number, exponent: number): number {
  return exponent >= 0 ? acc * 2 ** exponent : Math.floor(acc / 2 ** -exponent);
}

/** `x·(2^bits − d) / 2^bits` rounded toward zero (Loihi's decay with bits = 12). */
export function decayFraction(x: number, d: number, bits: number): number {
  return Math.trunc((x * (2 ** bits - d)) / 2 ** bits);
}

/** `x − (x >> dash)` with an arithmetic shift (Xylo's bit-shift decay). */
export function decayShift(x: number, dash: number): number {
  return x - Math.floor(x / 2 ** dash);
}

/** Rounds half away from zero, so that +w and −w quantize symmetrically. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

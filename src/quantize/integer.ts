/**
 * State registers and their overflow rules, and the quantizer's rounding: stated once, used by the
 * quantizer and the hardware simulator (runtimes/hwsim). Values are JavaScript numbers holding
 * integers; every intermediate stays below 2^53, so the arithmetic is exact unless a rule wraps.
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
      // One correction only, as Lava does: a value far outside stays outside (docs/hardware.md, "Loihi 2").
      return x > m / 2 ? x - m : x <= -m / 2 ? x + m : x;
    }
  }
}

/** Rounds half away from zero, so that +w and −w quantize symmetrically. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * How our discrete C-LIF (docs/neuron.md) maps to NIR's continuous CubaLIF and back, under forward
 * Euler at a time step `dt` (docs/formats.md, "NIR"). NIR's equations:
 *
 *   tau_syn · dI/dt = −I + w_in · S            tau_mem · dv/dt = (v_leak − v) + r · I
 *
 * Euler at dt, with the membrane using the current of the same step (snnTorch's order, ours):
 *
 *   I ← (1 − dt/tau_syn) · I + (dt/tau_syn) · w_in · S
 *   v ← (1 − dt/tau_mem) · v + (dt/tau_mem) · r · I
 *
 * so alpha = 1 − dt/tau_syn, beta = 1 − dt/tau_mem, and the input reaches our current scaled by
 * g = (dt/tau_syn)·w_in · (dt/tau_mem)·r. snnTorch's convention (ours on export) picks
 * w_in = tau_syn/dt and r = tau_mem/dt, so g = 1 and the weights carry over unchanged; other
 * conventions (Norse: r = w_in = 1) give g ≠ 1, which the importer folds into the weights.
 */

/** NIR's time unit on export: seconds, as snnTorch, Norse, Lava and NIRData use in practice. */
export const TIME_UNIT = 's';
/** snnTorch's hard-coded dt, also Lava's: the dt a tool must import our files with unless told. */
export const DEFAULT_DT = 1e-4;
/** Default number of time steps for a NIR graph that does not state one (snnTorch's tutorials, docs/neuron.md). */
export const DEFAULT_TIME_STEPS = 25;
/** The NIR library version whose layout we write (NIR's `nir/serialization.py` layout, exporters/nir/README.md). Readers ≥ 1.0.5 read it (CubaLI). */
export const NIR_VERSION = '1.0.7';

/** NIR time constant for a per-step decay; a decay of 1 (no leak) is an infinite time constant. */
export function decayToTau(decay: number, dt: number): number {
  return decay === 1 ? Infinity : dt / (1 - decay);
}

/** Parameters of a CubaLIF/CubaLI node in the snnTorch convention (all per layer, all scalars here). */
export interface CubaParams {
  tau_syn: number;
  tau_mem: number;
  r: number;
  w_in: number;
  v_leak: number;
}

/** Our decays as NIR parameters: tau = dt/(1−decay), r = tau_mem/dt, w_in = tau_syn/dt, v_leak = 0. */
export function cubaFromDecays(alpha: number, beta: number, dt: number): CubaParams {
  const tau_syn = decayToTau(alpha, dt), tau_mem = decayToTau(beta, dt);
  return { tau_syn, tau_mem, r: tau_mem / dt, w_in: tau_syn / dt, v_leak: 0 };
}

/**
 * Rounds to 15 significant digits: 1 − dt/(dt/(1 − 0.9)) comes back as 0.8999999999999999, and
 * the spec should read 0.9. The change is ~1e-16 relative, far below float32's resolution.
 */
export function tidy(x: number): number {
  return Number(x.toPrecision(15));
}

/** `1 − dt/tau`, or undefined when dt exceeds tau (the decay would be negative). */
export function tauToDecay(tau: number, dt: number): number | undefined {
  const decay = tau === Infinity ? 1 : 1 - dt / tau;
  return decay >= 0 && decay <= 1 ? tidy(decay) : undefined;
}

/**
 * The input gain `(dt/tau)·k` of one Euler stage. Exactly 1 when k = tau/dt (snnTorch's
 * convention, compared with a relative tolerance so that float64 round-off does not rescale
 * the weights), which also covers tau = k = ∞ (a decay of 1).
 */
export function stageGain(k: number, tau: number, dt: number): number {
  if (k === tau / dt || Math.abs(k - tau / dt) <= 1e-9 * Math.abs(tau / dt)) return 1;
  return (dt / tau) * k;
}

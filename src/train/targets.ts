/**
 * Deployment targets a network can be trained for (`train --target NAME`): the hardware profiles
 * and the SNN tools that read our NIR files. A target fixes what the network may contain so that a
 * freshly trained network exports to it as it is, without `--reset-as` or `--allow-subtract-reset`:
 * the reset mode, whether weighted layers have a bias, which pooling, and the neuron model.
 *
 * With a built-in architecture (`--arch`) the rules are applied before training; a `--spec` or
 * recipe network that breaks one is refused, naming the layer and the field to change.
 */
import { SnnError } from '../errors.ts';
import { listProfiles, loadProfile } from '../../hardware-profiles/index.ts';
import type { HardwareProfile } from '../quantize/profile.ts';
import type { Layer, NetworkSpec, ResetMode } from '../spec/types.ts';

type PoolKind = 'maxpool' | 'avgpool';

/** What a target accepts, and where each rule comes from (shown in errors and `--help`). */
export interface TargetRules {
  name: string;
  /** 'profile' for a chip, 'reader' for a tool that imports our NIR files. */
  kind: 'profile' | 'reader';
  /** The reset every spiking layer must use; undefined: either. */
  reset?: ResetMode;
  /** Whether dense and conv2d layers may have a bias. */
  bias: boolean;
  /** Weighted layer kinds the target runs. */
  weighted: ('dense' | 'conv2d')[];
  /** Pooling kinds the target runs, most preferred first; empty: no pooling at all. */
  pooling: PoolKind[];
  /** The most general neuron the target runs: 'cuba' (any alpha, beta), 'lif' (alpha = 0), 'iaf' (alpha = 0, beta = 1). */
  neuron: 'cuba' | 'lif' | 'iaf';
  /** The target needs a leak (beta < 1) in every neuron layer. */
  leak?: boolean;
  /** Decays the target stores as (1 − decay)·2^bits, rounded: the trained network takes those exact values. */
  decayBits?: number;
  /** Why, in a few words, per rule that restricts. */
  why: Partial<Record<'reset' | 'bias' | 'weighted' | 'pooling' | 'neuron' | 'decay', string>>;
}

/**
 * The NIR readers, as measured by running their importers on our files (README, "NIR interop").
 * All three reset a spiking neuron to zero (NIR's `v_reset`); none maps a max pooling; Norse and
 * lava-dl map NIR's `SumPool2d`, snnTorch its `AvgPool2d`, and `export nir --reader` writes each
 * its form; lava-dl's conv layers take no bias.
 */
const READERS: Record<string, TargetRules> = {
  snntorch: {
    name: 'snntorch', kind: 'reader', weighted: ['dense', 'conv2d'], reset: 'zero', bias: true, pooling: ['avgpool'], neuron: 'cuba',
    why: { reset: "snnTorch's NIR import resets to zero", pooling: 'NIR has no max pooling' },
  },
  norse: {
    name: 'norse', kind: 'reader', weighted: ['dense', 'conv2d'], reset: 'zero', bias: true, pooling: ['avgpool'], neuron: 'cuba', leak: true,
    why: { reset: "Norse's NIR import resets to v_reset", pooling: 'NIR has no max pooling', neuron: "Norse ignores NIR's r, so a neuron without leak integrates nothing there" },
  },
  'lava-dl': {
    name: 'lava-dl', kind: 'reader', weighted: ['dense', 'conv2d'], reset: 'zero', bias: false, pooling: ['avgpool'], neuron: 'cuba', decayBits: 12,
    why: { reset: 'Lava resets to zero', bias: "lava-dl's NIR import takes no conv bias, Lava no dense bias", pooling: 'NIR has no max pooling', decay: 'lava-dl stores 1 − decay in 12 bits (×4096)' },
  },
};

/** The rules of a hardware profile: its reset modes, bias, pooling layer kinds and neuron models. */
function profileRules(p: HardwareProfile): TargetRules {
  const modes = p.reset.modes;
  const models = p.neuronModels.models;
  const kinds = `${p.name} runs ${p.layerKinds.kinds.join(', ')} layers (layerKinds)`;
  return {
    name: p.name, kind: 'profile',
    reset: modes.includes('subtract') ? undefined : modes[0],
    bias: p.bias.supported?.value !== false,
    weighted: (['dense', 'conv2d'] as const).filter((k) => p.layerKinds.kinds.includes(k)),
    pooling: (['maxpool', 'avgpool'] as const).filter((k) => p.layerKinds.kinds.includes(k)),
    neuron: models.includes('cuba') ? 'cuba' : models.includes('lif') ? 'lif' : 'iaf',
    why: { reset: `${p.name} resets only by ${modes.join(', ')} (reset.modes)`, bias: `${p.name} has no bias (bias.supported)`, weighted: kinds, pooling: kinds, neuron: `${p.name} runs ${models.join(', ')} neurons (neuronModels)` },
  };
}

/** The names `--target` accepts: every hardware profile and every NIR reader. */
export function targetNames(): string[] {
  return [...listProfiles(), ...Object.keys(READERS)];
}

/** The rules of target `name`, or a usage error listing the targets. */
export function targetRules(name: string): TargetRules {
  if (READERS[name]) return READERS[name];
  if (listProfiles().includes(name)) return profileRules(loadProfile(name));
  throw new SnnError('usage', `option --target: '${name}' is not one of ${targetNames().join(', ')}`);
}

/** `decay` on the target's grid: 1 − round((1 − decay)·2^bits)/2^bits (exact in float32 for bits ≤ 24). */
export function gridDecay(decay: number, bits: number): number {
  const scale = 2 ** bits;
  return 1 - Math.round((1 - decay) * scale) / scale;
}

const isWeighted = (l: Layer): l is Extract<Layer, { kind: 'dense' | 'conv2d' }> => l.kind === 'dense' || l.kind === 'conv2d';

/** A built-in network made to follow the rules: reset, bias, pooling and neuron constants. */
export function applyTarget(spec: NetworkSpec, rules: TargetRules): NetworkSpec {
  const layers = spec.layers.map((layer, i): Layer => {
    if (isWeighted(layer)) {
      if (!rules.weighted.includes(layer.kind)) throw new SnnError('usage', `option --target ${rules.name}: layer ${i + 1} is ${layer.kind}, and ${rules.why.weighted}; choose another --arch, or --spec FILE`);
      return rules.bias ? layer : { ...layer, bias: false };
    }
    if (layer.kind === 'maxpool' || layer.kind === 'avgpool') {
      if (rules.pooling.includes(layer.kind)) return layer;
      if (!rules.pooling.length) throw new SnnError('usage', `option --target ${rules.name}: layer ${i + 1} (${layer.kind}) pools, and ${rules.why.pooling}; choose an architecture without pooling (--spec FILE)`);
      return { ...layer, kind: rules.pooling[0] };
    }
    if (layer.kind === 'clif' || layer.kind === 'readout') {
      const model = rules.neuron === 'cuba' ? {} : rules.neuron === 'lif' ? { alpha: 0 } : { alpha: 0, beta: 1 };
      const decays = { alpha: layer.alpha, beta: layer.beta, ...model };
      if (rules.decayBits) { decays.alpha = gridDecay(decays.alpha, rules.decayBits); decays.beta = gridDecay(decays.beta, rules.decayBits); }
      return layer.kind === 'clif' && rules.reset ? { ...layer, ...decays, reset: rules.reset } : { ...layer, ...decays };
    }
    return layer;
  });
  return { ...spec, layers };
}

/**
 * Refuses a network that breaks a rule, naming the first such layer and the spec field to change
 * (`where` says where the network came from: `--spec net.json`, `recipe mnist-paper`).
 */
export function checkTarget(spec: NetworkSpec, rules: TargetRules, where: string): void {
  const fail = (i: number, what: string, why: string | undefined, fix: string): never => {
    const l = spec.layers[i];
    throw new SnnError('invalidSpec', `${where}: layer ${i + 1} (${l.kind}${l.name ? ` '${l.name}'` : ''}) ${what}, which --target ${rules.name} does not allow (${why}); ${fix}`);
  };
  spec.layers.forEach((l, i) => {
    if (isWeighted(l) && !rules.weighted.includes(l.kind)) fail(i, `is a ${l.kind} layer`, rules.why.weighted, `use ${rules.weighted.join(' or ')} layers`);
    if (isWeighted(l) && !rules.bias && l.bias !== false) fail(i, 'has a bias', rules.why.bias, 'set "bias": false');
    if ((l.kind === 'maxpool' || l.kind === 'avgpool') && !rules.pooling.includes(l.kind)) {
      fail(i, `is a ${l.kind}`, rules.why.pooling, rules.pooling.length ? `make it "kind": "${rules.pooling[0]}"` : 'remove the pooling');
    }
    if (l.kind === 'clif' && rules.reset && (l.reset ?? 'subtract') !== rules.reset) fail(i, `resets by '${l.reset ?? 'subtract'}'`, rules.why.reset, `set "reset": "${rules.reset}"`);
    if ((l.kind === 'clif' || l.kind === 'readout') && rules.neuron !== 'cuba') {
      if (l.alpha !== 0) fail(i, `has alpha ${l.alpha} (a synaptic current)`, rules.why.neuron, 'set "alpha": 0');
      if (rules.neuron === 'iaf' && l.beta !== 1) fail(i, `has beta ${l.beta} (a leak)`, rules.why.neuron, 'set "beta": 1');
    }
    if ((l.kind === 'clif' || l.kind === 'readout') && rules.leak && l.beta === 1) fail(i, 'has beta 1 (no leak)', rules.why.neuron, 'set "beta" below 1');
    if ((l.kind === 'clif' || l.kind === 'readout') && rules.decayBits) {
      for (const field of ['alpha', 'beta'] as const) {
        const on = gridDecay(l[field], rules.decayBits);
        if (on !== l[field]) fail(i, `has ${field} ${l[field]}, between two decays of its ${rules.decayBits}-bit grid`, rules.why.decay, `set "${field}": ${on}`);
      }
    }
  });
}

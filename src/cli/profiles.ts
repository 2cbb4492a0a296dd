import type { Command } from 'commander';
import { listProfiles, loadProfile } from '../../hardware-profiles/index.ts';
import type { HardwareProfile, Sourced } from '../quantize/profile.ts';
import { val, weightBits } from '../quantize/profile.ts';
import { action } from './run.ts';

const provenance = (s: { source?: string; assumption?: string }): string => (s.source ? `source: ${s.source}` : `ASSUMPTION: ${s.assumption}`);

function decayText(p: HardwareProfile): string {
  const d = p.decay;
  if (d.kind === 'fraction') return `fraction of 2^${val(d.bits)} (truncated toward zero)`;
  if (d.kind === 'shift') return `bit shift x - (x >> dash), dash ≤ ${val(d.max)}`;
  return 'none (integrate-and-fire)';
}

/** One line per profile: the figures that decide whether a network fits. */
function summary(p: HardwareProfile): string {
  const limits = Object.entries(p.limits)
    .filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray((v as Sourced<unknown>).value))
    .map(([k, v]) => `${k} ${(v as Sourced).value}`);
  return [
    `${p.name.padEnd(15)}${p.title}`,
    `${''.padEnd(15)}weights ${Math.ceil(weightBits(p) - 1e-9)}-bit [${val(p.weights.min)}, ${val(p.weights.max)}]${val(p.weights.step) > 1 ? ` step ${val(p.weights.step)}` : ''} ${p.weights.scaling}; current ${val(p.state.current.bits)}-bit ${p.state.current.overflow}, membrane ${val(p.state.membrane.bits)}-bit ${p.state.membrane.overflow}`,
    `${''.padEnd(15)}decay ${decayText(p)}; reset ${p.reset.modes.join('/')}; neurons ${p.neuronModels.models.join('/')}; layers ${p.layerKinds.kinds.join('/')}${p.bias.supported?.value === false ? '; no bias' : ''}`,
    `${''.padEnd(15)}limits: ${limits.length ? limits.join(', ') : 'none'}`,
  ].join('\n');
}

/** Every field with its value and provenance. */
function details(p: HardwareProfile): string {
  const lines: string[] = [`${p.name}: ${p.title}`, p.description, ''];
  const row = (label: string, s: Sourced<unknown>) => lines.push(`  ${label.padEnd(26)}${JSON.stringify(s.value).padEnd(12)} ${provenance(s)}`);
  lines.push('weights');
  row('min', p.weights.min); row('max', p.weights.max); row('step', p.weights.step);
  lines.push(`  ${'scaling'.padEnd(26)}${p.weights.scaling.padEnd(12)} ${p.weights.scalingSource ? `source: ${p.weights.scalingSource}` : `ASSUMPTION: ${p.weights.scalingAssumption}`}`);
  row('exponent min', p.weights.exponent.min); row('exponent max', p.weights.exponent.max);
  lines.push('synapse');
  row('input shift', p.synapse.inputShift); row('delay steps', p.synapse.delaySteps);
  lines.push(`  ${'intermediate sums'.padEnd(26)}${p.synapse.intermediate.padEnd(12)} ${p.synapse.intermediateSource ? `source: ${p.synapse.intermediateSource}` : `ASSUMPTION: ${p.synapse.intermediateAssumption}`}`);
  row('bias bits', p.bias.bits);
  if (p.bias.supported) row('bias supported', p.bias.supported);
  lines.push('state');
  for (const [name, r] of [['current', p.state.current], ['membrane', p.state.membrane]] as const) {
    row(`${name} bits`, r.bits);
    lines.push(`  ${`${name} overflow`.padEnd(26)}${r.overflow.padEnd(12)} ${provenance(r)}`);
  }
  lines.push(`decay: ${decayText(p)} (${provenance(p.decay)})`);
  if (p.decay.kind === 'fraction') { row('bits', p.decay.bits); row('current max', p.decay.currentMax); row('membrane max', p.decay.membraneMax); }
  if (p.decay.kind === 'shift') row('max shift', p.decay.max);
  lines.push('threshold');
  row('max', p.threshold.max); row('shift', p.threshold.shift);
  if (p.threshold.readout) row('readout threshold', p.threshold.readout);
  lines.push(`reset: ${p.reset.modes.join(', ')} (${provenance(p.reset)})`);
  lines.push(`neuron models: ${p.neuronModels.models.join(', ')} (${provenance(p.neuronModels)})`);
  lines.push(`layer kinds: ${p.layerKinds.kinds.join(', ')} (${provenance(p.layerKinds)})`);
  lines.push('limits');
  for (const [k, v] of Object.entries(p.limits)) {
    if (typeof v === 'object' && v !== null) row(k, v as Sourced<unknown>);
    else lines.push(`  ${k.padEnd(26)}${String(v)}`);
  }
  if (Object.keys(p.limits).length === 0) lines.push('  none');
  lines.push('quantization');
  row('state headroom', p.quantization.stateHeadroom);
  return lines.join('\n');
}

/** `snn-export profiles [NAME] [--json]`: lists the hardware profiles, or shows one with the source of every number. */
export function registerProfiles(program: Command): void {
  program.command('profiles')
    .description('list the hardware profiles, or show one with the source of every number')
    .argument('[name]', 'profile name or path to a profile .json')
    .option('--json', 'print the profile (or the list of names) as JSON')
    .action(action(async (name: string | undefined, opts: { json?: boolean }) => {
      if (name) {
        const p = loadProfile(name);
        process.stdout.write(`${opts.json ? JSON.stringify(p, null, 2) : details(p)}\n`);
        return;
      }
      const profiles = listProfiles().map(loadProfile);
      if (opts.json) process.stdout.write(`${JSON.stringify(profiles.map((p) => p.name))}\n`);
      else process.stdout.write(`${profiles.map(summary).join('\n')}\n`);
    }));
}

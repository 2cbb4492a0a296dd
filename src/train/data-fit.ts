/**
 * The network and the data must agree before any graph is built: a sample shape the network
 * does not take would otherwise surface as an onnxruntime error deep inside the first step.
 */
import { SnnError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import type { ResolvedSpec } from '../spec/validate.ts';

/** The shape of one sample as the network takes it: `inputShape`, with T first for event frames. */
export function expectedSampleShape(resolved: ResolvedSpec): number[] {
  const { spec } = resolved;
  return spec.encoder.kind === 'events' ? [spec.timeSteps, ...spec.inputShape] : [...spec.inputShape];
}

/**
 * Refuses (`mismatch`, exit 9) data whose samples or classes do not fit the network. `network`
 * names where the network came from (`--spec net.json`, `recipe mnist-paper`, a checkpoint).
 */
export function checkDataFits(resolved: ResolvedSpec, data: Dataset, network: string): void {
  const want = expectedSampleShape(resolved);
  if (data.temporal !== (resolved.spec.encoder.kind === 'events')) {
    throw new SnnError('mismatch', `${network}: encoder '${resolved.spec.encoder.kind}' does not fit ${data.name}, whose samples are ${data.temporal ? 'event frames' : 'static images'} of shape [${data.sampleShape.join(', ')}]`);
  }
  if (data.sampleShape.join(',') !== want.join(',')) {
    throw new SnnError('mismatch', `${network}: the network takes samples of shape [${want.join(', ')}]${resolved.spec.encoder.kind === 'events' ? ' (timeSteps, then inputShape)' : ' (inputShape)'}, but ${data.name} samples are [${data.sampleShape.join(', ')}]`);
  }
  if (data.classes !== resolved.classes) {
    throw new SnnError('mismatch', `${network}: the network has ${resolved.classes} outputs (the readout's units), but ${data.name} has ${data.classes} classes`);
  }
}

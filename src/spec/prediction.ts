/**
 * The predicted class of a network's class scores (the mean readout membrane, or the output
 * layer's spike counts): the highest score, ties going to the lowest class index. Spike counts tie
 * often (two classes firing equally often, or no output spike at all), so every runtime, the
 * trainer's accuracy and the reports decide ties by this one rule.
 */
export function predictedClass(scores: ArrayLike<number>, offset: number, classes: number): number {
  let best = 0;
  for (let k = 1; k < classes; k++) if (scores[offset + k] > scores[offset + best]) best = k;
  return best;
}

/**
 * What a network's class scores (`logits`) are, in words for reports, model metadata and pages,
 * e.g. `spike counts of layer 'clif2' over 8 steps`.
 */
export function describeOutput(resolved: { output: 'membrane' | 'spikes'; blocks: { neuron: { name: string } }[]; spec: { timeSteps: number } }): string {
  const layer = resolved.blocks[resolved.blocks.length - 1].neuron.name;
  return resolved.output === 'spikes'
    ? `spike counts of layer '${layer}' over ${resolved.spec.timeSteps} steps`
    : `mean membrane of readout '${layer}' over ${resolved.spec.timeSteps} steps`;
}

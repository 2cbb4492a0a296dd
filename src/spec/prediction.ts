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

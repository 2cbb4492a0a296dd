/** A dense float32 tensor in row-major order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function tensor(shape: number[], data?: Float32Array): Tensor {
  const n = numel(shape);
  if (data && data.length !== n) throw new RangeError(`tensor: data length ${data.length} does not match shape [${shape}] (${n})`);
  return { shape, data: data ?? new Float32Array(n) };
}

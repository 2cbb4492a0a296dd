import * as ort from 'onnxruntime-node';

/** A float32 tensor ready to feed, built without copying `data`. */
export function feed(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/**
 * An onnxruntime-node session for a graph the compiler built. One intra-op thread: on the
 * 2-core machines this project targets it was faster than two (docs/training.md).
 */
export class OrtGraph {
  private constructor(private readonly session: ort.InferenceSession) {}

  /**
   * `arena: false` returns a run's memory when it ends instead of keeping the graph's peak for the
   * next run: for graphs that run beside the main one (a forward pre-pass, the Adam update), so that
   * their peaks do not add up.
   */
  static async create(model: Uint8Array, options: { arena?: boolean } = {}): Promise<OrtGraph> {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: Number(process.env.SNN_EXPORT_THREADS ?? 1),
      enableCpuMemArena: options.arena ?? true,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    return new OrtGraph(session);
  }

  get inputNames(): readonly string[] { return this.session.inputNames; }
  get outputNames(): readonly string[] { return this.session.outputNames; }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
    const out = await this.session.run(feeds);
    const result: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(out)) result[k] = t.data as Float32Array;
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

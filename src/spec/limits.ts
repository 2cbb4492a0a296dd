/**
 * The largest networks snn-export accepts (README, "Network specs"). They are far above the
 * networks of the built-in architectures and recipes, and low enough that a hostile spec,
 * checkpoint or bundle is refused before it can allocate gigabytes: a layer at the neuron limit
 * with a batch of 64 over 25 steps already needs 6.7 GB per float32 activation tensor in training.
 */
export const SPEC_LIMITS = {
  /** Simulated time steps T. */
  timeSteps: 10_000,
  /**
   * Time steps × neuron layers: the unrolled ONNX export writes about six nodes per step and neuron
   * layer (`export onnx`, measured: fc at T = 10 000, 20 000 steps unrolled, 120 004 nodes, 11 MB,
   * 306 MB peak RSS; five neuron layers at T = 10 000, at this limit, 360 013 nodes, 28 MB, 519 MB).
   */
  unrolledSteps: 50_000,
  /** Layers of a spec (flatten and pooling included). */
  layers: 256,
  /** Values of one layer's output (or of the input), per sample and step: 2^20. */
  neuronsPerLayer: 1 << 20,
  /** Dense units or conv channels of one layer. */
  units: 1 << 16,
  /** Side of a convolution kernel or pooling window, a stride or a padding: 1024, the side of a square map at the neuron limit. */
  kernel: 1024,
  /** Values of all layer outputs together (the state a simulator or an activation pass holds): 2^23. */
  totalNeurons: 1 << 23,
  /** Weights and biases of the whole network. */
  parameters: 50_000_000,
  /** Synaptic connections of one step over the whole network (a conv weight counts once per output position): 2^30. */
  connections: 1 << 30,
} as const;

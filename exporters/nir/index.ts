import type { Exporter } from '../exporter.ts';
import { DEFAULT_DT } from './convention.ts';
import { exportNir, nirExportOptions } from './export.ts';

/** `snn-export export nir CHECKPOINT -o model.nir`: the network as a NIR graph (HDF5). README.md explains the mapping. */
export const nirExporter: Exporter = {
  name: 'nir',
  description: 'NIR graph (HDF5) for snnTorch, Norse, Lava, Rockpool, Sinabs, SpiNNaker2: IF/LIF/CubaLIF neurons, LI → LI readout or a spiking output layer',
  options: [
    { flags: '--dt <seconds>', description: 'time step the NIR time constants are computed for; import with the same dt', defaultValue: String(DEFAULT_DT) },
    { flags: '--allow-subtract-reset', description: 'export neurons that reset by subtraction (NIR only knows reset-to-value; recorded in metadata)' },
    { flags: '--nir-readout <form>', description: "the non-spiking readout as 'li' (LI → LI in series, which Norse reads), 'cubali' (one CubaLI node) or 'cubalif' (a CubaLIF whose threshold is out of reach, for readers with spiking neurons only); default li" },
    { flags: '--pooling <form>', description: "average pooling as 'avg' (AvgPool2d) or 'sum' (SumPool2d, 1/k² folded into the weights; exact for windows of 2, 4, 8 …); default avg" },
    { flags: '--nir-neurons <form>', description: "spiking layers as 'simplest' (IF for alpha 0 and beta 1, LIF for alpha 0, else CubaLIF) or 'cubalif' (all CubaLIF); default simplest" },
    { flags: '--reader <name>', description: 'write the forms this reader maps and check its limits: snntorch (CubaLIF readout, AvgPool2d), norse (LI → LI readout, SumPool2d), lava-dl (CubaLIF readout, SumPool2d, no bias); all spiking layers as CubaLIF' },
  ],
  export: (checkpoint, outPath, options, checkpointPath) => exportNir(checkpoint, outPath, nirExportOptions(options, checkpointPath)),
};

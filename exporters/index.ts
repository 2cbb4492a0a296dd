import type { Exporter } from './exporter.ts';
import { eventsExporter } from './events/index.ts';
import { lavaExporter } from './lava/index.ts';
import { nirExporter } from './nir/index.ts';
import { onnxExporter } from './onnx/index.ts';

/** Every export format by name. A new one is a folder in exporters/ plus one line here. */
export const EXPORTERS: Record<string, Exporter> = {
  events: eventsExporter,
  onnx: onnxExporter,
  nir: nirExporter,
  lava: lavaExporter,
};

import type { Exporter } from './exporter.ts';

/** Every export format by name. A new one is a folder in exporters/ plus one line here. */
export const EXPORTERS: Record<string, Exporter> = {
};

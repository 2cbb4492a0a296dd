import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SnnError } from '../errors.ts';

/**
 * The charting library of the report and the browser page: Chart.js, its UMD build (one file,
 * no imports, defines `window.Chart`), so it can be inlined into a self-contained HTML file and
 * served as-is. Found through node's resolution of the `chart.js` package.
 */
export function chartJsPath(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('chart.js');
  } catch {
    throw new SnnError('missingInput', "the npm package 'chart.js' is not installed; run npm install in the snn-export folder");
  }
  // The package's exports hide dist/ files; its CommonJS entry sits beside the UMD build in dist/.
  const umd = join(dirname(entry), 'chart.umd.min.js');
  if (!existsSync(umd)) throw new SnnError('missingInput', `${umd}: Chart.js UMD build not found (chart.js 4.x ships dist/chart.umd.min.js)`);
  return umd;
}

/** The Chart.js UMD source, to inline in a `<script>` element. */
export function chartJsSource(): string {
  return readFileSync(chartJsPath(), 'utf8');
}

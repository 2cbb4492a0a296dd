import { readFileSync } from 'node:fs';
import { chartJsSource } from './chart-library.ts';
import type { ConfusionMatrix, ParityRow, ReportData, TargetQuantization } from './types.ts';

/**
 * The report's sections, in page order, by element id. The page script, the browser screenshots
 * and the tests find the sections by these ids.
 */
export const REPORT_SECTIONS = [
  { id: 'model', title: 'Model' },
  { id: 'training', title: 'Training curves' },
  { id: 'spike-rates', title: 'Spike rates per layer' },
  { id: 'rasters', title: 'Spike rasters' },
  { id: 'parity', title: 'Parity across runtimes and targets' },
  { id: 'quantization', title: 'Quantization error per layer and target' },
  { id: 'confusion', title: 'Confusion matrix' },
] as const;

/** Id of the `<script type="application/json">` element that carries the ReportData. */
export const REPORT_DATA_ELEMENT = 'report-data';

export interface RenderOptions {
  /** The charting library's source (default: Chart.js from node_modules). */
  chartLibrary?: string;
}

const PAGE_SCRIPT_URL = new URL('./report-page.js', import.meta.url);

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)} %`;

/**
 * Text placed inside a `<script>` element must not contain `</script` (it would end the element
 * early) nor `<!--`; inside JSON and JS strings the escaped forms mean the same.
 */
function scriptText(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON for a `<script type="application/json">`: every `<` escaped, so no markup can end it. */
const jsonText = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

function runtimeLabel(row: { runtime: string; target?: string }): string {
  return row.target ? `${row.runtime} (${row.target})` : row.runtime;
}

function modelSection(d: ReportData): string {
  const m = d.model;
  const facts: [string, string][] = [
    ['checkpoint', m.checkpointPath], ...(m.onnxPath ? [['ONNX model', m.onnxPath] as [string, string]] : []),
    ['network', m.name], ['time steps T', String(m.timeSteps)], ['encoder', m.encoder], ['parameters', m.parameterCount.toLocaleString('en-US')],
    ['classes', m.classNames.join(', ')], ['output (class scores)', `${m.output}; predicted class: the highest score, ties to the lowest class index`], ['test samples in this report', String(d.testSamples)], ['trained model test accuracy', pct(d.trainedAccuracy)],
  ];
  if (m.training) facts.push(['training settings', JSON.stringify(m.training)]);
  return `<table class="facts">${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<ol class="layers">${m.layers.map((l) => `<li><code>${escapeHtml(l)}</code></li>`).join('')}</ol>`;
}

function paritySection(d: ReportData): string {
  const row = (r: ParityRow) => {
    // A quantized target may lose a few predictions by design; a float runtime must lose none.
    const level = r.predictionAgreement === 1 ? 'good' : r.target && r.predictionAgreement >= 0.99 ? 'warn' : 'bad';
    return `<tr><td>${escapeHtml(runtimeLabel(r))}</td><td>${pct(r.accuracy)}</td><td class="${level}">${pct(r.predictionAgreement, 3)}</td>`
      + `<td>${pct(r.spikeCountAgreement, 3)}</td><td>${r.maxLogitDifference.toExponential(2)}</td><td>${r.samplesPerSecond.toFixed(0)}</td><td>${r.samples}</td></tr>`;
  };
  const unavailable = d.unavailable.length
    ? `<h3>Not run</h3><ul class="unavailable">${d.unavailable.map((u) => `<li><b>${escapeHtml(runtimeLabel(u))}</b>: ${escapeHtml(u.reason)}</li>`).join('')}</ul>`
    : '';
  return `<p>Every runtime runs the same encoded test samples as the trained model (the training engine's own inference graph, accuracy ${pct(d.trainedAccuracy)}).
Prediction agreement: share of samples whose prediction equals the trained model's. Spike-count agreement: share of (sample, neuron) spike counts exactly equal to the trained model's.</p>
<table class="data" id="parity-table"><thead><tr><th>runtime</th><th>accuracy</th><th>prediction agreement</th><th>spike-count agreement</th><th>max |Δlogit|</th><th>samples/s</th><th>samples</th></tr></thead>
<tbody><tr><td>trained model</td><td>${pct(d.trainedAccuracy)}</td><td>—</td><td>—</td><td>—</td><td>—</td><td>${d.testSamples}</td></tr>${d.parity.map(row).join('')}</tbody></table>${unavailable}`;
}

function quantizationTable(q: TargetQuantization): string {
  if (q.error) return `<h3>${escapeHtml(q.target)}</h3><p class="bad">${escapeHtml(q.error)}</p>`;
  const host = q.hostLayers.length ? `<p>Host (float) layers, not quantized: ${q.hostLayers.map(escapeHtml).join(', ')}.</p>` : '';
  const rows = q.layers.map((l) => `<tr><td>${escapeHtml(l.name)}</td><td>${Number.isInteger(l.weightBits) ? l.weightBits : l.weightBits.toFixed(2)}</td><td>${l.weightExponent}</td><td>${pct(l.weightRelativeError, 3)}</td><td>${pct(l.weightMaxError, 3)}</td>`
    + `<td>${l.clippedWeights}</td><td>${l.biasMaxError.toExponential(2)}</td><td>${pct(l.thresholdRelativeError, 3)}</td>`
    + `<td>${l.alpha} → ${l.alphaEffective.toFixed(4)}</td><td>${l.beta} → ${l.betaEffective.toFixed(4)}</td><td>${l.scaleMin.toPrecision(4)}–${l.scaleMax.toPrecision(4)}</td><td>${l.reset}</td></tr>`).join('');
  return `<h3>${escapeHtml(q.target)}</h3>${host}<table class="data"><thead><tr><th>layer</th><th>weight bits</th><th>exponent</th><th>‖W−Ŵ‖/‖W‖</th><th>max|W−Ŵ|/max|W|</th><th>clipped</th><th>max bias error</th><th>threshold error</th><th>α → effective</th><th>β → effective</th><th>state scale</th><th>reset</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function confusionTable(c: ConfusionMatrix, classNames: string[], index: number): string {
  const max = Math.max(1, ...c.counts.flat());
  const total = c.counts.flat().reduce((a, b) => a + b, 0);
  const correct = c.counts.reduce((a, row, i) => a + row[i], 0);
  const cell = (v: number, diagonal: boolean) => {
    // Square root so that the few off-diagonal errors stay visible next to the large diagonal.
    const level = Math.sqrt(v / max);
    const color = diagonal ? `rgba(31, 119, 180, ${level.toFixed(3)})` : `rgba(214, 39, 40, ${Math.min(1, 0.15 + level).toFixed(3)})`;
    return `<td style="background:${v ? color : 'transparent'}" class="${level > 0.6 ? 'light' : ''}">${v || ''}</td>`;
  };
  return `<div class="confusion" data-source="${escapeHtml(c.source)}"${index ? ' hidden' : ''}>
<p>${escapeHtml(c.source)}: ${correct} of ${total} correct (${pct(total ? correct / total : 0)}). Rows: true class; columns: predicted class.</p>
<table class="matrix"><thead><tr><th></th>${classNames.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr></thead>
<tbody>${c.counts.map((row, i) => `<tr><th>${escapeHtml(classNames[i])}</th>${row.map((v, j) => cell(v, i === j)).join('')}</tr>`).join('')}</tbody></table></div>`;
}

function confusionSection(d: ReportData): string {
  const select = d.confusion.length > 1
    ? `<label>source <select id="confusion-source">${d.confusion.map((c, i) => `<option value="${i}">${escapeHtml(c.source)}</option>`).join('')}</select></label>`
    : '';
  return select + d.confusion.map((c, i) => confusionTable(c, d.model.classNames, i)).join('');
}

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #222; background: #fafafa; }
body { max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
header h1 { margin-bottom: .2rem; } header p { margin-top: 0; color: #555; }
nav a { margin-right: 1rem; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1.2rem 1.2rem; margin: 1.2rem 0; }
table.data, table.facts, table.matrix { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
table.data th, table.data td, table.facts th, table.facts td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: right; }
table.data th:first-child, table.data td:first-child, table.facts th, table.facts td { text-align: left; }
table.facts td { max-width: 900px; overflow-wrap: anywhere; }
table.matrix th, table.matrix td { width: 3.2rem; height: 2rem; text-align: center; border: 1px solid #eee; }
table.matrix td.light { color: #fff; }
.good { color: #17803d; font-weight: 600; } .warn { color: #9a6700; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; }
.chart { position: relative; height: 320px; }
.rasters { display: grid; gap: .8rem; }
.raster-sample { border-top: 1px solid #eee; padding-top: .4rem; }
.raster-row { display: grid; gap: .6rem; }
.raster-row .chart { height: 260px; }
ol.layers { columns: 2; font-size: .85rem; }
`;

/**
 * The report as one self-contained HTML document: styles, the charting library, the page script
 * and the data are all inline, and a Content-Security-Policy forbids every network request, so the
 * file shows the same offline as online.
 */
export function renderReportHtml(data: ReportData, options: RenderOptions = {}): string {
  const chartLibrary = options.chartLibrary ?? chartJsSource();
  const pageScript = readFileSync(PAGE_SCRIPT_URL, 'utf8');
  const body: Record<(typeof REPORT_SECTIONS)[number]['id'], string> = {
    model: modelSection(data),
    training: data.history.length
      ? '<p>Per epoch, from the checkpoint\'s history: training loss (left axis) and accuracies (right axis).</p><div class="chart"><canvas id="chart-training"></canvas></div>'
      : '<p>The checkpoint has no training history.</p>',
    'spike-rates': `<p>Spikes per neuron per time step on the ${data.testSamples} test samples, for the trained model and each runtime whose spike counts differ from it by design (hardware targets). Silent: share of neurons that never fired.</p>
<div class="chart"><canvas id="chart-spike-rates"></canvas></div><div id="spike-rate-table"></div>`,
    rasters: data.rasters.length
      ? `<p>Per-step spikes of every spiking layer (x: time step, y: neuron) and the output layer's membrane U[t] per class (class scores: ${escapeHtml(data.model.output)}), for ${data.rasters.length} test samples, from the raster variant of the exported graph.</p><div class="rasters" id="raster-grid"></div>`
      : '<p>No raster samples were recorded.</p>',
    parity: paritySection(data),
    quantization: data.quantization.length
      ? `<p>How far each target's integer parameters are from the trained float ones (src/quantize).</p><div class="chart"><canvas id="chart-quantization"></canvas></div>${data.quantization.map(quantizationTable).join('')}`
      : '<p>No hardware target was requested (--targets).</p>',
    confusion: confusionSection(data),
  };
  const sections = REPORT_SECTIONS.map((s) => `<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>\n${body[s.id]}\n</section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(data.title)}</h1><p>generated ${escapeHtml(data.generatedAt)} by snn-export report</p></header>
<nav>${REPORT_SECTIONS.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('')}</nav>
${sections}
<script type="application/json" id="${REPORT_DATA_ELEMENT}">${jsonText(data)}</script>
<script>${scriptText(chartLibrary)}</script>
<script>${scriptText(pageScript)}</script>
</body>
</html>
`;
}

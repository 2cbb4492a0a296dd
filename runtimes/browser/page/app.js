// The browser page: the exported SNN in onnxruntime-web (WebAssembly). Plain ES module, served
// as-is by runtimes/browser/server.ts (no build step). Chart.js is loaded by index.html.
/* global Chart */
import * as ort from '/ort/ort.wasm.min.mjs';

// One thread: a threaded build needs cross-origin isolation, and one thread is what Node's check used too.
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = '/ort/';
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

const $ = (id) => document.getElementById(id);
const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const PARITY_BATCH = 100;

// The predicted class: the highest score, ties to the lowest class index (as every snn-export runtime;
// spike-count logits tie often).
function argmax(v, offset, n) {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[offset + k] > v[offset + best]) best = k;
  return best;
}

async function fetchOk(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res;
}

const info = await (await fetchOk('/api/info.json')).json();
const [model, rasterModel, reference, testInputs] = await Promise.all([
  fetchOk('/model/model.onnx').then((r) => r.arrayBuffer()).then((b) => ort.InferenceSession.create(new Uint8Array(b), { executionProviders: ['wasm'] })),
  fetchOk('/model/raster.onnx').then((r) => r.arrayBuffer()).then((b) => ort.InferenceSession.create(new Uint8Array(b), { executionProviders: ['wasm'] })),
  fetchOk('/api/reference.json').then((r) => r.json()),
  fetchOk('/api/test-inputs.bin').then((r) => r.arrayBuffer()).then((b) => new Float32Array(b)),
]);
const K = info.classNames.length;
const T = info.timeSteps;
const temporal = info.encoder !== 'direct';
const perSample = info.testInputShape.slice(temporal ? 2 : 1).reduce((a, b) => a * b, 1);

/** Test samples [start, start+count) in the model's input layout. */
function testBatch(start, count) {
  if (!temporal) return new ort.Tensor('float32', testInputs.slice(start * perSample, (start + count) * perSample), [count, ...info.testInputShape.slice(1)]);
  const N = info.samples;
  const data = new Float32Array(T * count * perSample);
  for (let t = 0; t < T; t++) data.set(testInputs.subarray((t * N + start) * perSample, (t * N + start + count) * perSample), t * count * perSample);
  return new ort.Tensor('float32', data, [T, count, ...info.testInputShape.slice(2)]);
}

// ---- drawing pad -------------------------------------------------------------------------
const pad = $('pad');
const ctx = pad.getContext('2d');
function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}
clearPad();
let drawing = false;
/** True while the pad shows a test image: the next stroke starts a fresh drawing instead of adding to it. */
let padShowsTestImage = false;
pad.addEventListener('pointerdown', (e) => {
  if (temporal) return;
  if (padShowsTestImage) { clearPad(); padShowsTestImage = false; }
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  ctx.strokeStyle = '#fff'; ctx.lineWidth = 22; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.beginPath(); ctx.moveTo(e.offsetX, e.offsetY); ctx.lineTo(e.offsetX, e.offsetY); ctx.stroke();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  ctx.lineTo(e.offsetX, e.offsetY); ctx.stroke();
});
pad.addEventListener('pointerup', () => {
  if (!drawing) return;
  drawing = false;
  classify(drawingInput(), 'your drawing').catch(showError);
});

/**
 * The drawing as an MNIST-like image: the ink's bounding box scaled to fit 20×20 and centred in
 * 28×28, as MNIST's digits were prepared, values in [0, 1].
 */
function drawingInput() {
  const [, H, W] = info.inputShape;
  const img = ctx.getImageData(0, 0, pad.width, pad.height).data;
  let x0 = pad.width, y0 = pad.height, x1 = -1, y1 = -1;
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
    if (img[(y * pad.width + x) * 4] > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  const small = document.createElement('canvas');
  small.width = W; small.height = H;
  const s = small.getContext('2d');
  s.fillStyle = '#000'; s.fillRect(0, 0, W, H);
  if (x1 >= 0) {
    const box = Math.max(x1 - x0 + 1, y1 - y0 + 1);
    const scale = (Math.min(W, H) * 20 / 28) / box;
    const w = (x1 - x0 + 1) * scale, h = (y1 - y0 + 1) * scale;
    s.imageSmoothingEnabled = true; s.imageSmoothingQuality = 'high';
    s.drawImage(pad, x0, y0, x1 - x0 + 1, y1 - y0 + 1, (W - w) / 2, (H - h) / 2, w, h);
  }
  const px = s.getImageData(0, 0, W, H).data;
  const data = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) data[i] = px[i * 4] / 255;
  return new ort.Tensor('float32', data, [1, 1, H, W]);
}

/** Shows test image `index` on the pad (static images only). */
function showTestImage(index) {
  clearPad();
  if (temporal) return;
  const [, H, W] = info.inputShape;
  const small = document.createElement('canvas');
  small.width = W; small.height = H;
  const s = small.getContext('2d');
  const img = s.createImageData(W, H);
  for (let i = 0; i < W * H; i++) {
    const v = Math.round(testInputs[index * perSample + i] * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  s.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, pad.width, pad.height);
  padShowsTestImage = true;
}

// ---- output over time --------------------------------------------------------------------
const lastLayer = info.spikingLayers[info.spikingLayers.length - 1];
const readoutChart = new Chart($('chart-readout'), {
  type: 'line',
  data: { labels: Array.from({ length: T }, (_, t) => t), datasets: info.classNames.map((n, k) => ({ label: n, data: [], borderColor: palette[k % 10], backgroundColor: palette[k % 10], pointRadius: 0, borderWidth: 1 })) },
  options: { plugins: { title: { display: true, text: info.output === 'spikes' ? `membrane U[t] of the output layer per class (logits: ${info.outputDescription})` : 'readout membrane U[t] per class (mean over t = logit)' }, legend: { labels: { boxWidth: 10 } } }, scales: { x: { title: { display: true, text: 'time step' } } } },
});
const spikeChart = new Chart($('chart-spikes'), {
  type: 'scatter',
  data: { datasets: [{ label: lastLayer ? lastLayer.name : 'no spiking layer', data: [], pointStyle: 'rect', pointRadius: 1.5, borderWidth: 0, backgroundColor: 'rgba(20,20,20,.8)' }] },
  options: {
    plugins: { title: { display: true, text: `spikes over time${lastLayer ? ` of ${lastLayer.name}, ${info.output === 'spikes' ? 'the output layer (logits = its spike counts)' : 'the layer that feeds the readout'}` : ''}` }, tooltip: { enabled: false } },
    scales: {
      x: { min: -0.5, max: T - 0.5, title: { display: true, text: 'time step' }, afterBuildTicks: (axis) => { axis.ticks = Array.from({ length: T }, (_, t) => ({ value: t })); } },
      y: { min: 0, max: lastLayer ? lastLayer.size : 1, reverse: true, title: { display: true, text: 'neuron' } },
    },
  },
});

/** Runs the exported model (prediction) and the raster model (over time) on one input. */
async function classify(input, what) {
  const [out, raster] = await Promise.all([model.run({ input }), rasterModel.run({ input })]);
  const logits = out.logits.data;
  const p = argmax(logits, 0, K);
  $('prediction').textContent = `prediction: ${info.classNames[p]}`;
  $('input-note').textContent = `${what}; logits (${info.outputDescription}) ${Array.from(logits, (v) => (info.output === 'spikes' ? String(v) : v.toFixed(2))).join(', ')}`;
  const u = raster.readout_membrane.data;
  readoutChart.data.datasets.forEach((d, k) => {
    d.data = Array.from({ length: T }, (_, t) => u[t * K + k]);
    d.borderWidth = k === p ? 3 : 1;
    d.pointRadius = k === p ? 3 : 0;
  });
  readoutChart.update('none');
  if (lastLayer) {
    const s = raster[`spikes_${lastLayer.name}`].data;
    const points = [];
    for (let t = 0; t < T; t++) for (let i = 0; i < lastLayer.size; i++) if (s[t * lastLayer.size + i]) points.push({ x: t, y: i });
    spikeChart.data.datasets[0].label = `${lastLayer.name}: ${points.length} spikes`;
    spikeChart.data.datasets[0].data = points;
    spikeChart.update('none');
  }
  return p;
}

async function classifyTestImage(index) {
  showTestImage(index);
  return classify(testBatch(index, 1), `test image #${index}, label ${info.classNames[reference.labels[index]]}, onnxruntime-node predicted ${info.classNames[reference.predictions[index]]}`);
}

// ---- parity ------------------------------------------------------------------------------
/**
 * Runs the exported model on the first `n` served test images and compares with onnxruntime-node:
 * prediction agreement and the largest logit difference. The result is also left on
 * `window.parityResult` for automated checks.
 */
async function runParity(n) {
  const count = Math.max(1, Math.min(n, info.samples));
  const t0 = performance.now();
  let agreeing = 0, correct = 0, maxLogitDifference = 0;
  const disagreements = [];
  for (let start = 0; start < count; start += PARITY_BATCH) {
    const size = Math.min(PARITY_BATCH, count - start);
    const logits = (await model.run({ input: testBatch(start, size) })).logits.data;
    for (let b = 0; b < size; b++) {
      const i = start + b;
      const p = argmax(logits, b * K, K);
      if (p === reference.predictions[i]) agreeing++; else disagreements.push(i);
      if (p === reference.labels[i]) correct++;
      for (let k = 0; k < K; k++) maxLogitDifference = Math.max(maxLogitDifference, Math.abs(logits[b * K + k] - reference.logits[i][k]));
    }
    $('parity-result').textContent = `running… ${start + size} / ${count}`;
  }
  const result = { samples: count, agreeing, agreement: agreeing / count, accuracy: correct / count, maxLogitDifference, seconds: (performance.now() - t0) / 1000, disagreements: disagreements.slice(0, 20) };
  const el = $('parity-result');
  el.className = `result ${agreeing === count ? 'good' : 'bad'}`;
  el.textContent = `prediction agreement with onnxruntime-node: ${agreeing} / ${count} = ${(100 * result.agreement).toFixed(2)} %`
    + ` · accuracy here ${(100 * result.accuracy).toFixed(2)} % · max |Δlogit| ${maxLogitDifference.toExponential(2)}`
    + ` · ${(count / result.seconds).toFixed(0)} images/s in onnxruntime-web ${ort.env.versions ? ort.env.versions.web : ''}`
    + (disagreements.length ? ` · disagreeing: #${result.disagreements.join(', #')}` : '');
  window.parityResult = result;
  return result;
}

function showError(err) {
  $('status').className = 'bad';
  $('status').textContent = `error: ${err && err.message ? err.message : err}`;
  window.demoError = String(err && err.message ? err.message : err);
}

$('clear').addEventListener('click', () => { clearPad(); padShowsTestImage = false; $('prediction').textContent = '–'; });
$('sample-index').max = String(info.samples - 1);
$('parity-count').max = String(info.samples);
$('parity-count').value = String(info.samples);
$('show-sample').addEventListener('click', () => classifyTestImage(Math.max(0, Math.min(info.samples - 1, Number($('sample-index').value) || 0))).catch(showError));
$('run-parity').addEventListener('click', () => runParity(Number($('parity-count').value) || info.samples).catch(showError));
if (temporal) $('input-note').textContent = `This model takes ${info.encoder} input [T, B, …]: pick a test image (drawing needs a direct-encoded image model).`;

await classifyTestImage(0);
$('status').textContent = `${info.name}: T = ${T}, ${info.encoder} encoding, ${info.samples} test images from the server · onnxruntime-web (WebAssembly)`;
// Read by the headless test: the page is ready for input.
window.demoReady = true;

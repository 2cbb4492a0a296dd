// The report page's charts, drawn with Chart.js from the data inlined by src/report/html.ts.
// Plain browser JavaScript (no build step): it is inlined into the HTML file as it is.
/* global Chart */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  // Static pages: no animation, so a screenshot or a print shows the final chart.
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const color = (i) => palette[i % palette.length];

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.assign(e, attrs || {});
    for (const c of children || []) e.append(c);
    return e;
  }

  function chartBox(parent, height) {
    const canvas = el('canvas');
    const box = el('div', { className: 'chart' }, [canvas]);
    if (height) box.style.height = `${height}px`;
    parent.append(box);
    return canvas;
  }

  function trainingCurves() {
    const canvas = document.getElementById('chart-training');
    if (!canvas) return;
    const h = data.history;
    const series = (key) => h.map((e) => (e[key] === undefined || e[key] === null ? null : e[key] * 100));
    const datasets = [
      { label: 'training loss', data: h.map((e) => e.trainLoss), yAxisID: 'loss', borderColor: color(3), backgroundColor: color(3) },
      { label: 'training accuracy %', data: series('trainAccuracy'), yAxisID: 'acc', borderColor: color(0), backgroundColor: color(0) },
    ];
    if (h.some((e) => e.testAccuracy !== undefined)) datasets.push({ label: 'test accuracy %', data: series('testAccuracy'), yAxisID: 'acc', borderColor: color(2), backgroundColor: color(2) });
    if (h.some((e) => e.validationAccuracy !== undefined)) datasets.push({ label: 'validation accuracy %', data: series('validationAccuracy'), yAxisID: 'acc', borderColor: color(4), backgroundColor: color(4) });
    new Chart(canvas, {
      type: 'line',
      data: { labels: h.map((e) => `epoch ${e.epoch}`), datasets: datasets.map((d) => ({ ...d, pointRadius: 4, tension: 0.2, spanGaps: true })) },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          loss: { type: 'linear', position: 'left', title: { display: true, text: 'loss' }, beginAtZero: true },
          acc: { type: 'linear', position: 'right', title: { display: true, text: 'accuracy %' }, grid: { drawOnChartArea: false } },
        },
      },
    });
  }

  function spikeRates() {
    const canvas = document.getElementById('chart-spike-rates');
    if (!canvas || !data.spikeRates.length) return;
    const layers = data.spikeRates[0].layers.map((l) => l.layer);
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels: layers.map((name) => {
          const l = data.spikeRates[0].layers.find((x) => x.layer === name);
          return `${name} (${l.neurons} neurons)`;
        }),
        datasets: data.spikeRates.map((s, i) => ({
          label: s.source,
          data: layers.map((name) => (s.layers.find((l) => l.layer === name) || { rate: null }).rate),
          backgroundColor: color(i),
        })),
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'spikes per neuron per step' } } } },
    });
    const rows = [];
    for (const s of data.spikeRates) for (const l of s.layers) rows.push(`<tr><td>${s.source}</td><td>${l.layer}</td><td>${l.neurons}</td><td>${l.rate.toFixed(4)}</td><td>${(l.silentFraction * 100).toFixed(1)} %</td></tr>`);
    document.getElementById('spike-rate-table').innerHTML = `<table class="data"><thead><tr><th>source</th><th>layer</th><th>neurons</th><th>spikes/neuron/step</th><th>silent neurons</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }

  function rasters() {
    const grid = document.getElementById('raster-grid');
    if (!grid) return;
    const names = data.model.classNames;
    const T = data.model.timeSteps;
    for (const sample of data.rasters) {
      const ok = sample.prediction === sample.label;
      const title = el('h3', { textContent: `test sample #${sample.index}: label ${names[sample.label]}, predicted ${names[sample.prediction]}${ok ? '' : ' (wrong)'}` });
      const row = el('div', { className: 'raster-row' });
      row.style.gridTemplateColumns = `repeat(${sample.spikes.length + 1}, minmax(0, 1fr))`;
      grid.append(el('div', { className: 'raster-sample' }, [title, row]));
      for (const layer of sample.spikes) {
        const canvas = chartBox(row);
        new Chart(canvas, {
          type: 'scatter',
          data: { datasets: [{ label: `${layer.layer}: ${layer.events.length} spikes`, data: layer.events.map(([t, n]) => ({ x: t, y: n })), pointStyle: 'rect', pointRadius: 1.5, borderWidth: 0, backgroundColor: 'rgba(20, 20, 20, 0.75)' }] },
          options: {
            plugins: { legend: { labels: { boxWidth: 0 } }, tooltip: { enabled: false } },
            scales: {
              x: { min: -0.5, max: T - 0.5, title: { display: true, text: 'time step' }, afterBuildTicks: (axis) => { axis.ticks = Array.from({ length: T }, (_, t) => ({ value: t })); } },
              y: { min: 0, max: layer.neurons, reverse: true, title: { display: true, text: 'neuron' } },
            },
          },
        });
      }
      const canvas = chartBox(row);
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: sample.readoutMembrane.map((_, t) => t),
          datasets: names.map((n, k) => ({
            label: n,
            data: sample.readoutMembrane.map((u) => u[k]),
            borderColor: color(k),
            backgroundColor: color(k),
            borderWidth: k === sample.prediction ? 3 : 1,
            pointRadius: k === sample.prediction ? 3 : 0,
          })),
        },
        options: {
          plugins: { title: { display: true, text: 'output layer membrane U[t]' }, legend: { labels: { boxWidth: 10, font: { size: 10 } } } },
          scales: { x: { title: { display: true, text: 'time step' } } },
        },
      });
    }
  }

  function quantization() {
    const canvas = document.getElementById('chart-quantization');
    const targets = data.quantization.filter((q) => !q.error && q.layers.length);
    if (!canvas) return;
    if (!targets.length) { canvas.parentElement.remove(); return; }
    const layers = [...new Set(targets.flatMap((q) => q.layers.map((l) => l.name)))];
    const datasets = [];
    targets.forEach((q, i) => {
      const pick = (key) => layers.map((name) => { const l = q.layers.find((x) => x.name === name); return l ? l[key] * 100 : null; });
      datasets.push({ label: `${q.target}: ‖W−Ŵ‖/‖W‖ %`, data: pick('weightRelativeError'), backgroundColor: color(i) });
      datasets.push({ label: `${q.target}: threshold error %`, data: pick('thresholdRelativeError'), backgroundColor: color(i) + '80', borderColor: color(i), borderWidth: 1 });
    });
    new Chart(canvas, {
      type: 'bar',
      data: { labels: layers, datasets },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'relative error %' } } } },
    });
  }

  function confusionSelector() {
    const select = document.getElementById('confusion-source');
    if (!select) return;
    const boxes = document.querySelectorAll('#confusion .confusion');
    select.addEventListener('change', () => boxes.forEach((b, i) => { b.hidden = String(i) !== select.value; }));
  }

  const problems = [];
  for (const draw of [trainingCurves, spikeRates, rasters, quantization, confusionSelector]) {
    try { draw(); } catch (err) { problems.push(`${draw.name}: ${err && err.message}`); console.error(err); }
  }
  // Read by the headless checks: every chart drawn, or what failed.
  document.body.dataset.rendered = problems.length ? 'failed' : 'done';
  if (problems.length) document.body.prepend(el('p', { className: 'bad', textContent: `Some charts failed: ${problems.join('; ')}` }));
}());

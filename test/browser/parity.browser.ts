/**
 * The exported model in a real browser: starts the `snn-export serve` page, drives headless
 * Chromium (playwright-core, system Chromium), draws a digit, then runs the page's in-browser
 * parity check (onnxruntime-web) on ≥ 500 test images and requires 100 % prediction agreement
 * with onnxruntime-node. Saves a screenshot; exits non-zero on any failure.
 *
 *   node --import tsx test/browser/parity.browser.ts [CHECKPOINT] [--onnx MODEL] [--samples N] [--screenshot FILE]
 *
 * Without CHECKPOINT it trains a small `fc` network first (about 10 s), so CI needs no artifact.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveCheckpoint } from '../../src/cli/serve.ts';
import { launchChromium } from './chromium.ts';

/** The floor for the in-browser parity check. */
const MIN_SAMPLES = 500;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { onnx: { type: 'string' }, samples: { type: 'string', default: '1000' }, screenshot: { type: 'string', default: join(tmpdir(), 'snn-export-browser-parity.png') } },
});
const samples = Number(values.samples);
if (!Number.isInteger(samples) || samples < MIN_SAMPLES) {
  process.stderr.write(`--samples must be an integer ≥ ${MIN_SAMPLES}\n`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'snn-export-browser-test-'));
let checkpoint = positionals[0];
if (!checkpoint) {
  checkpoint = join(scratch, 'fc.safetensors');
  const train = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/snn-export.js', import.meta.url)), 'train', '--arch', 'fc', '--epochs', '1', '--limit', '5000', '--no-progress', '-o', checkpoint], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (train.status !== 0) {
    process.stderr.write('browser test: training the test network failed\n');
    process.exit(1);
  }
}

const failures: string[] = [];
const server = await serveCheckpoint(checkpoint, { onnx: values.onnx, port: 0, samples });
const browser = await launchChromium(server.url.replace(/\/$/, ''));
try {
  const { page } = browser;
  page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') failures.push(`console error: ${msg.text()}`); });
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForFunction('window.demoReady === true || window.demoError !== undefined', undefined, { timeout: 120_000 });
  const loadError = await page.evaluate<string | undefined>('window.demoError');
  if (loadError) throw new Error(`the page failed to load: ${loadError}`);

  // Draw a vertical stroke (a "1") on the pad: the drawing path must produce a prediction too.
  const pad = await page.evaluate<{ x: number; y: number }>('(() => { const r = document.getElementById("pad").getBoundingClientRect(); return { x: r.x, y: r.y }; })()');
  await page.mouse.move(pad.x + 140, pad.y + 50);
  await page.mouse.down();
  for (let y = 60; y <= 230; y += 10) await page.mouse.move(pad.x + 140 + (y - 50) / 20, pad.y + y);
  await page.mouse.up();
  await page.waitForFunction('document.getElementById("input-note").textContent.startsWith("your drawing")', undefined, { timeout: 30_000 });
  const drawn = await page.evaluate<string>('document.getElementById("prediction").textContent');
  process.stdout.write(`drawn stroke: ${drawn}\n`);

  const t0 = performance.now();
  await page.evaluate(`document.getElementById("parity-count").value = "${server.samples}"`);
  await page.click('#run-parity');
  await page.waitForFunction('window.parityResult !== undefined || window.demoError !== undefined', undefined, { timeout: 300_000 });
  const result = await page.evaluate<{ samples: number; agreeing: number; agreement: number; accuracy: number; maxLogitDifference: number; disagreements: number[] } | undefined>('window.parityResult');
  if (!result) throw new Error(`the parity check failed in the page: ${await page.evaluate<string>('window.demoError')}`);
  process.stdout.write(`browser parity: ${result.agreeing}/${result.samples} predictions agree with onnxruntime-node (${(result.agreement * 100).toFixed(2)} %), `
    + `accuracy ${(result.accuracy * 100).toFixed(2)} %, max |Δlogit| ${result.maxLogitDifference.toExponential(2)}, ${((performance.now() - t0) / 1000).toFixed(1)} s in Chromium\n`);
  if (result.samples < MIN_SAMPLES) failures.push(`only ${result.samples} test images were checked (need ≥ ${MIN_SAMPLES})`);
  if (result.agreeing !== result.samples) failures.push(`${result.samples - result.agreeing} predictions differ from onnxruntime-node (first: #${result.disagreements.join(', #')})`);
  await page.screenshot({ path: values.screenshot, fullPage: true });
  process.stdout.write(`screenshot: ${values.screenshot}\n`);
  for (const url of browser.blocked) failures.push(`the page requested ${url} (outside the local server)`);
} catch (err) {
  failures.push((err as Error).message);
} finally {
  await browser.close();
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}
if (failures.length) {
  process.stderr.write(`browser parity test FAILED:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write('browser parity test passed\n');

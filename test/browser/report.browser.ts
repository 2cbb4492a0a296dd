/**
 * Opens an HTML report (`snn-export report`) in headless Chromium with every network request
 * refused, checks that each section rendered (its charts drawn, no script errors) and saves one
 * screenshot per section. Usage: node --import tsx test/browser/report.browser.ts REPORT.html [OUT_DIR]
 * Exits non-zero if a section is missing, a chart is empty, a script failed or a request was made.
 */
import { mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPORT_SECTIONS } from '../../src/report/html.ts';
import { launchChromium } from './chromium.ts';

const [reportPath, outDir = 'report-screenshots'] = process.argv.slice(2);
if (!reportPath) {
  process.stderr.write('usage: report.browser.ts REPORT.html [OUT_DIR]\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const browser = await launchChromium();
const failures: string[] = [];
try {
  const { page } = browser;
  page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') failures.push(`console error: ${msg.text()}`); });
  await page.goto(pathToFileURL(resolve(reportPath)).href, { waitUntil: 'load' });
  await page.waitForFunction('document.body.dataset.rendered !== undefined', undefined, { timeout: 30_000 });
  const state = await page.evaluate<string>('document.body.dataset.rendered');
  if (state !== 'done') failures.push(`the page script reported: ${state}`);
  for (const section of REPORT_SECTIONS) {
    const facts = await page.evaluate<{ found: boolean; canvases: number; blank: number; text: number }>(`(() => {
      const s = document.getElementById(${JSON.stringify(section.id)});
      if (!s) return { found: false, canvases: 0, blank: 0, text: 0 };
      const canvases = [...s.querySelectorAll('canvas')];
      // A chart that drew nothing leaves its canvas fully transparent.
      const blank = canvases.filter((c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < d.length; i += 4) if (d[i]) return false; return true; }).length;
      return { found: true, canvases: canvases.length, blank, text: s.innerText.length };
    })()`);
    if (!facts.found) { failures.push(`section '${section.id}' is missing`); continue; }
    if (facts.blank) failures.push(`section '${section.id}': ${facts.blank} of ${facts.canvases} charts are blank`);
    const file = join(outDir, `report-${section.id}.png`);
    await page.locator(`#${section.id}`).screenshot({ path: file });
    process.stdout.write(`${section.id}: ${facts.canvases} charts, ${facts.text} characters of text → ${file}\n`);
  }
  await page.screenshot({ path: join(outDir, 'report-full.png'), fullPage: true });
  for (const url of browser.blocked) failures.push(`the page requested ${url}`);
} finally {
  await browser.close();
}
if (failures.length) {
  process.stderr.write(`report check failed:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`report renders every section (${REPORT_SECTIONS.length}) without network access\n`);

/**
 * Headless Chromium for the browser checks, driven by playwright-core. Playwright's own browser
 * download does not work on these machines, so this uses the system Chromium (Debian's
 * `chromium` package) and a fresh profile folder per run.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The system Chromium; override with SNN_EXPORT_CHROMIUM. */
export const CHROMIUM_PATH = process.env.SNN_EXPORT_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, reproducible headless run that reaches nothing on its own. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** The few parts of playwright-core's API these scripts use (its own types are not needed to run them). */
export interface BrowserPage {
  goto(url: string, options?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
  waitForFunction(fn: string, arg?: unknown, options?: { timeout?: number; polling?: number }): Promise<unknown>;
  evaluate<T = unknown>(fn: string): Promise<T>;
  click(selector: string): Promise<void>;
  selectOption(selector: string, value: string): Promise<unknown>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  locator(selector: string): { screenshot(options: { path: string }): Promise<unknown>; scrollIntoViewIfNeeded(): Promise<void> };
  on(event: 'console', fn: (msg: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (err: Error) => void): void;
  on(event: 'request', fn: (req: { url(): string }) => void): void;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  mouse: { move(x: number, y: number): Promise<void>; down(): Promise<void>; up(): Promise<void> };
}

interface BrowserContext {
  newPage(): Promise<BrowserPage>;
  route(pattern: string, handler: (route: { request(): { url(): string }; abort(): Promise<void>; continue(): Promise<void> }) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** A running headless Chromium with one context; `close` also removes its profile folder. */
export interface HeadlessChromium {
  context: BrowserContext;
  page: BrowserPage;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile. `allowOrigin`: the only origin requests may go
 * to (e.g. the local server); every other request is aborted and listed in `blocked`, so a page
 * that tries to reach the network fails the check instead of silently working online.
 */
export async function launchChromium(allowOrigin?: string): Promise<HeadlessChromium & { blocked: string[] }> {
  // Loaded through require so that a missing package is one clear line, and so that NODE_PATH can
  // point at a scratch install while developing.
  let playwright: { chromium: { launchPersistentContext(dir: string, options: Record<string, unknown>): Promise<BrowserContext> } };
  try {
    playwright = createRequire(import.meta.url)('playwright-core');
  } catch {
    throw new Error("the npm package 'playwright-core' is not installed (a dev dependency of the browser tests)");
  }
  const profile = mkdtempSync(join(tmpdir(), 'snn-export-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
  });
  const blocked: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    const allowed = url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank' || (allowOrigin !== undefined && url.startsWith(allowOrigin)) || (allowOrigin === undefined && url.startsWith('file:'));
    if (allowed) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  return {
    context, page, blocked,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A small local HTTP server (node:http) for the browser page: the page's files, onnxruntime-web's
 * browser build and WebAssembly from node_modules, Chart.js, the models and the test data.
 * Only a fixed list of paths is served; nothing is read from a path the request names.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartJsPath } from '../../src/report/chart-library.ts';
import { SnnError } from '../../src/errors.ts';
import type { BrowserContent } from './content.ts';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');

/** onnxruntime-web's WebAssembly-only build: the module the page imports and the files it loads itself. */
const ORT_WEB_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

function ortWebDist(): string {
  // The package's `exports` map hides dist/ files; its Node entry point lives in dist/ beside them.
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8',
  wasm: 'application/wasm', json: 'application/json', onnx: 'application/octet-stream', bin: 'application/octet-stream',
};

/** Why a port cannot be listened on, as the one-line usage error that says what to do (the CLI's `--port`). */
function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  if (err.code === 'EADDRINUSE') return new SnnError('usage', `port ${port} on ${host} is in use; choose another with --port (0: any free port)`);
  if (err.code === 'EACCES') return new SnnError('usage', `port ${port} on ${host} needs privileges this process does not have; choose another with --port (0: any free port)`);
  if (err.code === 'EADDRNOTAVAIL') return new SnnError('usage', `address ${host} is not available on this machine`);
  return err;
}

/** A running page server. */
export interface BrowserServer {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  close(): Promise<void>;
}

/** Serves `content` on `host:port` (port 0: any free port). */
export async function startBrowserServer(content: BrowserContent, port: number, host = '127.0.0.1'): Promise<BrowserServer> {
  const dist = ortWebDist();
  const files = new Map<string, () => Uint8Array | string>([
    ['/', () => readFileSync(join(PAGE_DIR, 'index.html'))],
    ['/app.js', () => readFileSync(join(PAGE_DIR, 'app.js'))],
    ['/style.css', () => readFileSync(join(PAGE_DIR, 'style.css'))],
    ['/vendor/chart.umd.min.js', () => readFileSync(chartJsPath())],
    ...ORT_WEB_FILES.map((f): [string, () => Uint8Array] => [`/ort/${f}`, () => readFileSync(join(dist, f))]),
    ['/model/model.onnx', () => content.model],
    ['/model/raster.onnx', () => content.rasterModel],
    ['/api/info.json', () => JSON.stringify(content.info)],
    ['/api/reference.json', () => JSON.stringify(content.reference)],
    ['/api/test-inputs.bin', () => new Uint8Array(content.testInputs.buffer, content.testInputs.byteOffset, content.testInputs.byteLength)],
  ]);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = files.get(path === '/index.html' ? '/' : path);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(file ? 405 : 404, { 'content-type': 'text/plain' }).end(file ? 'method not allowed' : 'not found');
      return;
    }
    let body: Uint8Array | string;
    try {
      body = file();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read ${path}: ${(err as Error).message}`);
      return;
    }
    const ext = path === '/' ? 'html' : path.slice(path.lastIndexOf('.') + 1);
    res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, port, host)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/`,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // An open browser tab keeps idle keep-alive connections that would hold `close` for seconds.
      server.closeAllConnections();
    }),
  };
}

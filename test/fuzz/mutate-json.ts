/**
 * Structural mutations of a parsed JSON document (specs, recipes, profiles, the JSON inside a
 * checkpoint): a node anywhere in the tree is replaced, removed, duplicated, retyped, nested very
 * deeply or made very large. Numbers JavaScript cannot hold (1e400, 2^53 + 1) are kept as
 * literal text so the file says what a hostile user would write.
 */
import type { Random } from '../../src/util/random.ts';
import { below, pick } from './mutate-bytes.ts';

/** A number or other token written verbatim into the JSON text. */
export class RawJson {
  constructor(readonly text: string) {}
}

const HOSTILE_NUMBERS = ['1e400', '-1e400', '1e308', '-1', '0', '-0', '0.5', '4294967295', '4294967296', '2147483648', '9007199254740993', '1e9', '1e6', '100000', '65536', '-2147483649', '1e-400', '3.3'];

function hostileScalar(rng: Random): unknown {
  switch (below(rng, 12)) {
    case 0: return null;
    case 1: return rng.next() < 0.5;
    case 2: return '';
    case 3: return 'x'.repeat(pick(rng, [1, 100, 100_000]));
    case 4: return pick(rng, ['NaN', 'Infinity', '1e400', '../../etc/passwd', '\u0000', 'a\r\nb', '__proto__', 'constructor']);
    case 5: return [];
    case 6: return {};
    default: return new RawJson(pick(rng, HOSTILE_NUMBERS));
  }
}

/** Paths to every node of the tree (arrays and objects included). */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = [], limit = 5000): (string | number)[][] {
  if (out.length >= limit) return out;
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out, limit));
  else if (value !== null && typeof value === 'object' && !(value instanceof RawJson)) for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out, limit);
  return out;
}

function get(root: unknown, path: (string | number)[]): unknown {
  let v = root;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}

/** Replaces the node at `path` (the root when empty) and returns the new root. */
function replace(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (!path.length) return value;
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]] = value;
  return root;
}

function remove(root: unknown, path: (string | number)[]): unknown {
  if (!path.length) return root;
  const parent = get(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, unknown>)[key as string];
  return root;
}

/** `value` wrapped in `depth` arrays or objects, kept as text so later rounds need not walk it. */
function nested(value: unknown, depth: number, asArray: boolean): RawJson {
  const inner = stringifyJson(value);
  return new RawJson(asArray ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`);
}

function mutateNumber(rng: Random, n: number): unknown {
  switch (below(rng, 6)) {
    case 0: return -n;
    case 1: return n * pick(rng, [1000, 1e6, 1e9]);
    case 2: return n + 0.5;
    case 3: return n + pick(rng, [-1, 1]);
    case 4: return String(n);
    default: return new RawJson(pick(rng, HOSTILE_NUMBERS));
  }
}

/** One structural mutation; the input tree is not modified. */
function mutateOnce(rng: Random, root: unknown): unknown {
  root = structuredCloneJson(root);
  const all = paths(root);
  const path = pick(rng, all);
  const node = get(root, path);
  const op = below(rng, 12);
  if (op <= 3) return replace(root, path, typeof node === 'number' && rng.next() < 0.7 ? mutateNumber(rng, node) : hostileScalar(rng));
  if (op === 4) return remove(root, path);
  if (op === 5) return replace(root, path, nested(node, pick(rng, [64, 1000, 100_000]), rng.next() < 0.5));
  if (op === 6 && Array.isArray(node)) {
    // A huge array: many copies of one element (a thousand layers, a long shape).
    const element = node.length ? node[below(rng, node.length)] : 1;
    return replace(root, path, Array.from({ length: pick(rng, [2, 10, 1000, 20_000]) }, () => structuredCloneJson(element)));
  }
  if (op === 7 && Array.isArray(node) && node.length) {
    const copy = node.slice();
    const i = below(rng, copy.length);
    copy.splice(below(rng, copy.length + 1), 0, structuredCloneJson(copy[i]));
    return replace(root, path, copy);
  }
  if (op === 8 && node !== null && typeof node === 'object' && !Array.isArray(node) && !(node instanceof RawJson)) {
    // An unknown or dangerous key beside the known ones.
    (node as Record<string, unknown>)[pick(rng, ['__proto__', 'constructor', 'unknownField', 'toString'])] = hostileScalar(rng);
    return root;
  }
  if (op === 9 && typeof node === 'string') return replace(root, path, pick(rng, [node.toUpperCase(), `${node} `, node.slice(1), `${node}\u0000`, '']));
  if (op === 10) {
    // Swap with another node of the tree (a value of the wrong kind in the right place).
    const other = get(root, pick(rng, all));
    return replace(root, path, structuredCloneJson(other));
  }
  return replace(root, path, hostileScalar(rng));
}

/** A deep copy that keeps `RawJson` tokens. */
function structuredCloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(structuredCloneJson);
  if (v instanceof RawJson || v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: structuredCloneJson(x), enumerable: true, writable: true, configurable: true });
    else out[k] = structuredCloneJson(x);
  }
  return out;
}

/** One to three stacked structural mutations. */
export function mutateJson(rng: Random, value: unknown): unknown {
  let out = value;
  for (let i = 1 + (rng.next() < 0.6 ? 0 : below(rng, 3)); i > 0; i--) out = mutateOnce(rng, out);
  return out;
}

/** JSON text of a tree that may hold `RawJson` tokens; iterative, so a 100 000-deep tree does not overflow the stack. */
export function stringifyJson(value: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [value];
  const CLOSE_ARRAY = Symbol('close-array'), CLOSE_OBJECT = Symbol('close-object'), COMMA = Symbol('comma');
  while (stack.length) {
    const v = stack.pop();
    if (v === CLOSE_ARRAY) { out.push(']'); continue; }
    if (v === CLOSE_OBJECT) { out.push('}'); continue; }
    if (v === COMMA) { out.push(','); continue; }
    if (typeof v === 'string' && v.startsWith('\u0001key:')) { out.push(`${JSON.stringify(v.slice(5))}:`); continue; }
    if (v instanceof RawJson) { out.push(v.text); continue; }
    if (Array.isArray(v)) {
      out.push('[');
      stack.push(CLOSE_ARRAY);
      for (let i = v.length - 1; i >= 0; i--) { stack.push(v[i]); if (i > 0) stack.push(COMMA); }
      continue;
    }
    if (v !== null && typeof v === 'object') {
      out.push('{');
      stack.push(CLOSE_OBJECT);
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) { stack.push(entries[i][1]); stack.push(`\u0001key:${entries[i][0]}`); if (i > 0) stack.push(COMMA); }
      continue;
    }
    out.push(JSON.stringify(v) ?? 'null');
  }
  return out.join('');
}

/**
 * A parsed JSON value as an error message shows it: numbers, booleans, null and short strings as
 * JSON, arrays of a few numbers as `[1, 28, 28]`, other arrays and objects by kind and length
 * only (a hostile file may nest deeper than JSON.stringify can recurse), at most 60 characters.
 */
export function shown(v: unknown): string {
  if (Array.isArray(v)) return v.length <= 8 && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

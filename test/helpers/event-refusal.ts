import assert from 'node:assert/strict';
import { readEventFile } from '../../src/data/events/event-file.ts';
import { SnnError } from '../../src/errors.ts';

/**
 * Reads the event file at `path`, which must be refused with an SnnError of `kind` in one line
 * that names the file (and `offset N` when given); returns the error for further checks.
 */
export function refusedEventFile(path: string, kind: SnnError['kind'] = 'malformedInput', offset?: number): SnnError {
  try { readEventFile(path); } catch (err) {
    assert.ok(err instanceof SnnError, String((err as Error)?.stack));
    assert.equal(err.kind, kind, err.message);
    assert.ok(err.message.includes(path), err.message);
    assert.ok(!err.message.includes('\n'), err.message);
    if (offset !== undefined) assert.match(err.message, new RegExp(`offset ${offset}\\b`), err.message);
    return err;
  }
  assert.fail(`${path} was not refused`);
}

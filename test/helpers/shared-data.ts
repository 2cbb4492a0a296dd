/**
 * Where the tests find the project's real event-camera recordings: `../shared/data/events` beside
 * the checkout (where CI has them), or `$SNN_EXPORT_SHARED/data/events` for a checkout elsewhere.
 * A missing folder fails the importing test file with one line saying where it looked, instead of
 * an ENOENT from the first file read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sharedRoot = process.env.SNN_EXPORT_SHARED ?? fileURLToPath(new URL('../../../shared/', import.meta.url));

/** The folder of real recordings with their expected decodes (ends with a separator). */
export const EVENTS_DIR = join(sharedRoot, 'data', 'events') + '/';

if (!existsSync(EVENTS_DIR)) {
  throw new Error(`event recordings not found at ${EVENTS_DIR}: put the project's shared folder beside the checkout, or set SNN_EXPORT_SHARED to it`);
}

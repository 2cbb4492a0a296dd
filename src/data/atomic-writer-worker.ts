import { parentPort } from 'node:worker_threads';
import { SnnError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** Worker side of `AtomicWriterPool`: writes each file it is sent and reports back. */
parentPort!.on('message', (msg: { path: string; bytes: Uint8Array }) => {
  try {
    writeFileAtomic(msg.path, msg.bytes, { createFolders: false });
    parentPort!.postMessage({});
  } catch (err) {
    // An SnnError (writeFileAtomic's one-line io error) keeps its kind, so the pool can rethrow it
    // as the same error; anything else is a bug and keeps its stack.
    if (err instanceof SnnError) parentPort!.postMessage({ error: { kind: err.kind, message: err.message } });
    else parentPort!.postMessage({ error: { message: `${msg.path}: ${(err as Error)?.message ?? err}`, stack: (err as Error)?.stack } });
  }
});

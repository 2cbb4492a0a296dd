import { parentPort } from 'node:worker_threads';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** Worker side of `AtomicWriterPool`: writes each file it is sent and reports back. */
parentPort!.on('message', (msg: { path: string; bytes: Uint8Array }) => {
  try {
    writeFileAtomic(msg.path, msg.bytes);
    parentPort!.postMessage({});
  } catch (err) {
    parentPort!.postMessage({ error: `${msg.path}: ${(err as Error).message}` });
  }
});

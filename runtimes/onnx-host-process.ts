/**
 * The child side of onnx-host.ts: onnxruntime sessions for exported models, in a process of their
 * own, so that a model that crashes onnxruntime, loops for ever or asks for gigabytes costs that
 * process and not the command. One request at a time, answered over the IPC channel.
 */
import type { HostReply, HostRequest } from './onnx-host.ts';

type Ort = typeof import('onnxruntime-node');
interface Session { run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>; release(): Promise<void> }
const sessions = new Map<number, { session: Session; ort: Ort }>();

async function handle(req: HostRequest): Promise<HostReply> {
  switch (req.type) {
    case 'open': {
      const ort = (req.runtime === 'onnxruntime-web' ? await import('onnxruntime-web') : await import('onnxruntime-node')) as Ort;
      if (req.runtime === 'onnxruntime-web') (ort.env as { wasm: { numThreads: number } }).wasm.numThreads = 1;
      const options = req.runtime === 'onnxruntime-web' ? { executionProviders: ['wasm'] } : { intraOpNumThreads: 1, interOpNumThreads: 1 };
      const session = await ort.InferenceSession.create(req.model, options as never) as unknown as Session;
      sessions.set(req.id, { session, ort });
      return { id: req.id, ok: true };
    }
    case 'run': {
      const s = sessions.get(req.session)!;
      const out = await s.session.run({ input: new s.ort.Tensor('float32', req.data, req.dims) });
      return { id: req.id, ok: true, outputs: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])) };
    }
    case 'release': {
      await sessions.get(req.session)?.session.release();
      sessions.delete(req.session);
      return { id: req.id, ok: true };
    }
  }
}

process.on('message', (req: HostRequest) => {
  handle(req).then(
    (reply) => process.send!(reply),
    (err: unknown) => process.send!({ id: req.id, ok: false, error: String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300) } satisfies HostReply),
  );
});

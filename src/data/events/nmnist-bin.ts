import { SnnError, malformed } from '../../errors.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { DEFAULT_CHUNK_BYTES } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, StreamOptions, StreamSummary } from './event-stream.ts';

/**
 * N-MNIST `.bin` (Orchard et al. 2015; SLAYER's `.bs2` is the same): no header, 5 bytes per event,
 * `x, y, (p << 7) | ts[22:16], ts[15:8], ts[7:0]` with a 23-bit µs timestamp, on the 34×34 ATIS
 * crop. x and y are the raw bytes; (0, 0) is the upper-left corner (digits appear upright with
 * row 0 at the top, as in tonic), `origin: 'upper-left'`. Coordinates ≥ 34 are refused: they mean
 * the file is not N-MNIST (or is damaged).
 */

/** Side of the N-MNIST sensor crop. */
export const NMNIST_SIZE = 34;
const RECORD = 5;

export function openNmnist(file: ChunkedFile): EventFileInfo {
  if (file.size % RECORD !== 0) {
    const lastWhole = file.size - (file.size % RECORD);
    throw malformed(`${file.path}: offset ${lastWhole}`, `truncated record: ${file.size} bytes is not a multiple of the 5-byte N-MNIST record (${file.size % RECORD} bytes left over)`);
  }
  return { path: file.path, format: 'N-MNIST bin', headerLines: [], bodyOffset: 0, width: NMNIST_SIZE, height: NMNIST_SIZE, origin: 'upper-left', sensor: 'ATIS (N-MNIST 34×34)' };
}

export function streamNmnist(file: ChunkedFile, sink: ChunkSink, options: StreamOptions = {}): StreamSummary {
  const info = openNmnist(file);
  const where = file.path;
  let offset = options.startOffset ?? 0;
  const wanted = Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, Math.max(0, file.size - offset));
  const chunkBytes = Math.max(RECORD, Math.floor(wanted / RECORD) * RECORD);
  if (offset % RECORD !== 0 || offset > file.size) throw new SnnError('usage', `${where}: start offset ${offset} is not at a 5-byte record`);
  const capacity = chunkBytes / RECORD;
  const x = new Uint16Array(capacity), y = new Uint16Array(capacity), p = new Uint8Array(capacity);
  const t = new Float64Array(capacity);
  const buf = new Uint8Array(chunkBytes);
  let events = 0;
  while (offset < file.size) {
    const b = file.readAt(offset, chunkBytes, buf);
    const n = b.length / RECORD;
    for (let i = 0, o = 0; i < n; i++, o += RECORD) {
      const xi = b[o], yi = b[o + 1], b2 = b[o + 2];
      if (xi >= NMNIST_SIZE || yi >= NMNIST_SIZE) {
        throw malformed(`${where}: offset ${offset + o}`, `event (${xi}, ${yi}) lies outside the 34×34 N-MNIST sensor (not an N-MNIST .bin file, or a damaged one)`);
      }
      x[i] = xi; y[i] = yi; p[i] = b2 >>> 7;
      t[i] = ((b2 & 0x7f) << 16) | (b[o + 3] << 8) | b[o + 4];
    }
    events += n;
    const more = sink({ count: n, x, y, t, p, byteOffset: offset });
    offset += b.length;
    if (more === false) break;
  }
  return { info, events, skipped: 0 };
}

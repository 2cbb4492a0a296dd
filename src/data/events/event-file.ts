import { extname } from 'node:path';
import { SnnError, malformed } from '../../errors.ts';
import { MiB, checkInputSize } from '../../util/read-input.ts';
import { readAedatHeader, refuseUnsupportedVersion } from './aedat-header.ts';
import { openAedat2, streamAedat2 } from './aedat2.ts';
import { openAedat3, streamAedat3 } from './aedat3.ts';
import { openAedat4, streamAedat4 } from './aedat4.ts';
import { withFile } from './chunked-file.ts';
import { davisChipLine, openDavisAedat2, streamDavisAedat2 } from './davis-aedat2.ts';
import { openEvt, streamEvt } from './evt.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { EventBuffer } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, EventStream, StreamOptions, StreamSummary } from './event-stream.ts';
import { openNmnist, streamNmnist } from './nmnist-bin.ts';

/** Extensions of N-MNIST files, which have no header to recognise them by. */
const NMNIST_EXTENSIONS = new Set(['.bin', '.bs2']);

/** Options for reading any event file. */
export interface ReadEventsOptions extends StreamOptions {
  /** Refuse files whose sensor is not this one (`DVS128` for MNIST-DVS and DVS128 Gesture). */
  expectSensor?: string;
  /** Refuse files larger than this, before reading (readers that keep every event in memory). */
  maxBytes?: number;
}

/**
 * Largest event file read whole into memory (README, "Limits on input files"): a sample of
 * MNIST-DVS or N-MNIST; decoded events take about three times their AEDAT 2.0 size. Files that are
 * streamed (`data inspect`, DVS128 Gesture recordings) have no limit.
 */
export const MAX_EVENT_SAMPLE_BYTES = 256 * MiB;

type Kind = 'aedat2' | 'davis' | 'aedat3' | 'aedat4' | 'evt' | 'nmnist';

/** Recognises the format: AEDAT by its `#` header, Metavision RAW (EVT) by its `%` header, N-MNIST by its `.bin`/`.bs2` extension. */
function detect(file: ChunkedFile): Kind {
  const where = file.path;
  const first = file.readAt(0, 1);
  if (first.length === 1 && first[0] === 0x23) {
    const { version, lines } = readAedatHeader(file);
    if (version === '1.0' || version === '2.0') return davisChipLine(lines) ? 'davis' : 'aedat2';
    if (version === '3.1') return 'aedat3';
    if (version === '4.0') return 'aedat4';
    refuseUnsupportedVersion(where, version);
  }
  if (first.length === 1 && first[0] === 0x25) return 'evt';
  if (NMNIST_EXTENSIONS.has(extname(where).toLowerCase())) return 'nmnist';
  if (file.size === 0) throw malformed(`${where}: offset 0`, `empty file (an AEDAT file starts with a '#!AER-DAT' line, a Metavision RAW file with '%' lines; N-MNIST files end in .bin)`);
  throw malformed(`${where}: offset 0`, `not an event file snn-export reads: no AEDAT header ('#!AER-DAT…' line), no Metavision RAW header ('%' lines) and not an N-MNIST .bin/.bs2 file (byte 0 is 0x${first[0].toString(16).padStart(2, '0')})`);
}

function openKind(file: ChunkedFile, kind: Kind): EventFileInfo {
  if (kind === 'aedat2') {
    const { recordBytes: _r, ...info } = openAedat2(file);
    return info;
  }
  if (kind === 'davis') return openDavisAedat2(file);
  if (kind === 'evt') {
    const { version: _v, ...info } = openEvt(file);
    return info;
  }
  if (kind === 'aedat4') {
    const { compression: _c, streams: _s, eventStream: _e, dataTablePosition: _d, bodyEnd: _b, ...info } = openAedat4(file);
    return info;
  }
  return kind === 'aedat3' ? openAedat3(file) : openNmnist(file);
}

function checkSensor(info: EventFileInfo, expect: string | undefined): void {
  if (!expect || info.sensor === expect) return;
  throw new SnnError('incompatibleVersion', `${info.path}: recorded with sensor '${info.sensor}' (${info.width}×${info.height}), expected ${expect}; its addresses would be misread`);
}

/** The header facts of an event file, without decoding its events. */
export function probeEventFile(path: string): EventFileInfo {
  return withFile(path, (file) => openKind(file, detect(file)));
}

/**
 * Streams any supported event file in bounded memory. AEDAT 3.0 and 4.0 are refused with a
 * message saying what to do.
 */
export function streamEventFile(path: string, sink: ChunkSink, options: ReadEventsOptions = {}): StreamSummary {
  return withFile(path, (file) => {
    if (options.maxBytes !== undefined) checkInputSize(path, file.size, { what: 'event file read whole', maxBytes: options.maxBytes });
    const kind = detect(file);
    checkSensor(openKind(file, kind), options.expectSensor);
    if (kind === 'aedat2') return streamAedat2(file, sink, options);
    if (kind === 'davis') return streamDavisAedat2(file, sink, options);
    if (kind === 'aedat3') return streamAedat3(file, sink, options);
    if (kind === 'aedat4') return streamAedat4(file, sink, options);
    if (kind === 'evt') return streamEvt(file, sink, options);
    return streamNmnist(file, sink, options);
  });
}

/** Reads a whole event file into memory. */
export function readEventFile(path: string, options: ReadEventsOptions = {}): EventStream {
  const buffer = new EventBuffer(1 << 14);
  const summary = streamEventFile(path, (chunk) => { buffer.append(chunk); }, { maxBytes: MAX_EVENT_SAMPLE_BYTES, ...options });
  return buffer.toStream(summary.info, summary.skipped);
}

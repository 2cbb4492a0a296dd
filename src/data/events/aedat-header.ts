import { SnnError, malformed } from '../../errors.ts';
import type { ChunkedFile } from './chunked-file.ts';

/** The text header of an AEDAT file (any version). */
export interface AedatHeader {
  /** From the `#!AER-DATx.y` line; `1.0` when there is none, as the format prescribes. */
  version: string;
  lines: string[];
  /** Offset of the first byte after the header. */
  bodyOffset: number;
}

const HASH = 0x23;
const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const END_HEADER = '#!END-HEADER';
/** jAER headers with chip preferences run to ~100 KB; far beyond that something is wrong. */
const MAX_HEADER_BYTES = 16 << 20;

/**
 * Reads the leading `#` lines. AEDAT 1.0/2.0 have no end marker, so a header line is accepted only
 * if it is text (no control bytes other than tab and CR): a binary event whose first byte happens
 * to be `#` (an AEDAT 1.0 address with y = 35) then ends the header instead of being swallowed.
 * AEDAT 3.x and 4.0 end at `#!END-HEADER`.
 */
export function readAedatHeader(file: ChunkedFile): AedatHeader {
  const where = file.path;
  let window = file.readAt(0, Math.min(file.size, 1 << 12));
  const lines: string[] = [];
  let pos = 0;
  let version = '1.0';
  for (;;) {
    if (pos >= window.length && window.length >= file.size) break;
    if (window[pos] !== HASH) break;
    let end = pos;
    let text = true;
    for (;;) {
      if (end >= window.length) {
        if (window.length >= file.size) break;
        if (window.length >= MAX_HEADER_BYTES) throw malformed(`${where}: offset ${pos}`, `header line longer than ${MAX_HEADER_BYTES} bytes (not an AEDAT file?)`);
        window = file.readAt(0, Math.min(file.size, window.length * 4));
        continue;
      }
      const b = window[end];
      if (b === LF) break;
      if (b < 0x20 && b !== TAB && b !== CR) { text = false; break; }
      end++;
    }
    if (!text) break;
    // A '#' line that runs to the end of the file without a line feed: a header cut short.
    if (end >= window.length) throw malformed(`${where}: offset ${pos}`, `header line runs to the end of the file without a line feed (truncated header)`);
    let line = Buffer.from(window.buffer, window.byteOffset + pos, end - pos).toString('latin1');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (lines.length === 0 && line.startsWith('#!AER-DAT')) version = line.slice('#!AER-DAT'.length).trim();
    lines.push(line);
    pos = end + 1;
    if (line === END_HEADER) return { version, lines, bodyOffset: pos };
  }
  if (version.startsWith('3') && version !== '3.0') {
    throw malformed(`${where}: offset ${pos}`, `AEDAT ${version} header has no '${END_HEADER}' line before the binary data`);
  }
  return { version, lines, bodyOffset: pos };
}

/** Refuses AEDAT versions no reader here decodes (3.0, 4.x other than 4.0, …). */
export function refuseUnsupportedVersion(where: string, version: string): never {
  throw new SnnError('incompatibleVersion', `${where}: AEDAT version '${version}' is not supported (snn-export reads AEDAT 1.0, 2.0, 3.1 and 4.0)`);
}

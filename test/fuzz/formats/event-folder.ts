/**
 * A folder of recordings listed in `labels.csv` (`train --dataset events --data-dir DIR`): the
 * labels file is mutated; the recordings beside it are valid files of two formats and two sensor
 * sizes, so paths, labels, splits and sizes are all exercised.
 */
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAedat2 } from '../../../src/data/events/aedat2-writer.ts';
import { encodeEvt2 } from '../../../src/data/events/evt-writer.ts';
import { EVENT_FOLDER_LABELS, loadEventFolder } from '../../../src/data/event-folder.ts';
import type { FuzzFormat, Seed } from '../format.ts';
import { events } from './synthetic-events.ts';

/** The recordings a labels.csv case lists: two DVS128 AEDAT 2.0 files, an EVT 2.0 file of another size. */
const RECORDINGS: Record<string, () => Uint8Array> = {
  'a.aedat': () => encodeAedat2(events(30, 128, 128, 1)),
  'b.aedat': () => encodeAedat2(events(20, 128, 128, 2)),
  'sub/c.aedat': () => encodeAedat2(events(10, 128, 128, 3)),
  'd.raw': () => encodeEvt2(events(10, 640, 480, 4), { width: 640, height: 480 }),
};

const labelsSeed = (name: string, text: string): Seed => ({ name, bytes: Buffer.from(text, 'utf8') });

export const eventFolderFormat: FuzzFormat = {
  name: 'event-folder', entry: 'train --dataset events (labels.csv, loadEventFolder, frames)', fileName: 'labels.csv', text: true,
  seeds: async () => [
    labelsSeed('indices with splits', 'file,label,split\na.aedat,0,train\nb.aedat,1,test\nsub/c.aedat,1,train\n'),
    labelsSeed('class names, no split', '# recordings\r\na.aedat,walk\nb.aedat,wave\nsub/c.aedat,walk\na.aedat,wave\nb.aedat,walk\nsub/c.aedat,wave\na.aedat,walk\nb.aedat,wave\na.aedat,walk\nb.aedat,wave\n'),
  ],
  crafted: () => [
    { name: 'a path with ..', bytes: Buffer.from('../../../etc/passwd,0,train\na.aedat,1,test\n') },
    { name: 'an absolute path', bytes: Buffer.from('/etc/passwd,0,train\na.aedat,1,test\n') },
    { name: 'a folder as a file', bytes: Buffer.from('sub,0,train\na.aedat,1,test\n') },
    { name: 'sensors of two sizes', bytes: Buffer.from('a.aedat,0,train\nd.raw,1,test\n') },
    { name: 'label 255 and 999', bytes: Buffer.from('a.aedat,255,train\nb.aedat,999,test\n') },
    { name: '300 class names', bytes: Buffer.from(Array.from({ length: 300 }, (_, i) => `a.aedat,c${i},${i % 2 ? 'test' : 'train'}`).join('\n')) },
    { name: '100 000 rows', bytes: Buffer.from(Array.from({ length: 100_000 }, (_, i) => `a.aedat,${i % 2},${i % 3 ? 'train' : 'test'}`).join('\n')) },
    { name: 'a NUL in a file name', bytes: Buffer.from('a.aedat\u0000x,0,train\nb.aedat,1,test\n') },
  ],
  read: async (path, scratch) => {
    for (const [name, make] of Object.entries(RECORDINGS)) {
      mkdirSync(join(scratch, name, '..'), { recursive: true });
      writeFileSync(join(scratch, name), make());
    }
    copyFileSync(path, join(scratch, EVENT_FOLDER_LABELS));
    const data = loadEventFolder(scratch, { frames: { timeSteps: 4 } });
    for (const ds of [data.train, data.test]) ds.writeSample(0, new Float32Array(ds.sampleShape.reduce((a, b) => a * b, 1)), 0);
  },
};

/**
 * A one-line progress display on stderr: batches done, samples/s, running loss and accuracy,
 * and frozen layers. Redrawn in place on a terminal; on a pipe it prints at most every 10 s.
 */
export class Progress {
  private lastDraw = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly label: string, private readonly total: number, private readonly enabled = true) {}

  update(done: number, info: { samplesPerSecond: number; loss: number; accuracy: number; note?: string }): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < this.total && now - this.lastDraw < (this.tty ? 200 : 10_000)) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((done / this.total) * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${this.label} ${bar} ${done}/${this.total} | ${info.samplesPerSecond.toFixed(0)} samples/s | loss ${info.loss.toFixed(4)} | acc ${(info.accuracy * 100).toFixed(2)}%${info.note ? ` | ${info.note}` : ''}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  end(): void {
    if (this.enabled && this.tty) process.stderr.write('\n');
  }
}

// A progress bar on stderr: redrawn in place on a terminal, a line at a time
// (at most one a second, and the last) when stderr is a file or a pipe, so
// logs and CI output keep a readable record.
import { count } from './output.ts';

export interface ProgressBarOptions {
  total: number;
  /** What is counted, e.g. "rows". */
  unit: string;
  width?: number;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

export class ProgressBar {
  #total: number;
  readonly #unit: string;
  readonly #width: number;
  readonly #stream: NodeJS.WriteStream;
  readonly #now: () => number;
  readonly #startedAt: number;
  #lastDrawnAt = Number.NEGATIVE_INFINITY;
  #lastLine = '';

  constructor(options: ProgressBarOptions) {
    this.#total = Math.max(0, options.total);
    this.#unit = options.unit;
    this.#width = options.width ?? 28;
    this.#stream = options.stream ?? process.stderr;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  /** The total can grow while counting (a campaign's audience is snapshotted as it goes). */
  setTotal(total: number): void {
    this.#total = Math.max(0, total);
  }

  get #interactive(): boolean {
    return this.#stream.isTTY === true;
  }

  /** The line for `done` units, with extra counts after it. */
  render(done: number, extra = '', complete = false): string {
    const ratio = this.#total === 0 ? (complete ? 1 : 0) : Math.min(1, done / this.#total);
    const filled = Math.round(ratio * this.#width);
    const elapsedS = (this.#now() - this.#startedAt) / 1000;
    const rate = elapsedS > 0.5 ? done / elapsedS : undefined;
    const eta = rate && done < this.#total ? ` · ${Math.ceil((this.#total - done) / rate)} s left` : '';
    return `[${'█'.repeat(filled)}${'░'.repeat(this.#width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% `
      + `${count(done)}/${count(this.#total)} ${this.#unit}${extra ? ` · ${extra}` : ''}${rate ? ` · ${count(Math.round(rate))} ${this.#unit}/s` : ''}${eta}`;
  }

  /** A line wider than the terminal would wrap, and the carriage return would redraw only its last row. */
  #fitted(line: string): string {
    const columns = (this.#stream as { columns?: number }).columns;
    return columns && line.length >= columns ? `${line.slice(0, columns - 2)}…` : line;
  }

  update(done: number, extra = '', force = false): void {
    const now = this.#now();
    const line = this.render(done, extra);
    if (this.#interactive) {
      if (!force && now - this.#lastDrawnAt < 80) return;
      this.#stream.write(`\r${this.#fitted(line)}\x1b[K`);
    } else {
      if (!force && now - this.#lastDrawnAt < 1000) return;
      this.#stream.write(`${line}\n`);
    }
    this.#lastDrawnAt = now;
    this.#lastLine = line;
  }

  /** Draws the final state and leaves the cursor on a new line. */
  finish(done: number, extra = ''): void {
    const line = this.render(done, extra, true);
    if (this.#interactive) this.#stream.write(`\r${this.#fitted(line)}\x1b[K\n`);
    else if (line !== this.#lastLine) this.#stream.write(`${line}\n`);
  }
}

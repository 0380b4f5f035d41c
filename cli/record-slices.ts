// Cutting an import file into slices of whole records, each a complete file
// of its own (a CSV slice repeats the header), so the CLI can send a large
// file as a series of requests and report real progress between them. The
// file is streamed: one slice is in memory at a time.
//
// Records are counted the way the API's parser counts rows: CSV records
// (quoted fields may hold commas and newlines; empty lines are skipped),
// NDJSON non-blank lines; so slice-relative row numbers map back to the file.
import { createReadStream } from 'node:fs';

export type ImportFormat = 'csv' | 'ndjson';

export interface FileRecord {
  text: string;
  /** 1-based line of the file where the record starts. */
  line: number;
}

export interface Slice {
  /** The request body: the CSV header (if any) and this slice's records. */
  body: string;
  /** Row number in the file (header not counted) of the slice's first record, 1-based. */
  firstRow: number;
  rows: number;
  /** The starting line in the file of each record, in order. */
  lines: number[];
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** Splits text fed in chunks into CSV records; a quote opens a quoted field only at the field's start, as RFC 4180 has it. */
export class CsvRecordSplitter {
  #state = FIELD_START;
  #carry = '';
  #line = 1;
  #recordLine = 1;

  push(chunk: string): FileRecord[] {
    const records: FileRecord[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const char = chunk.charCodeAt(i);
      if (char === 10 /* \n */) {
        if (this.#state !== QUOTED) {
          this.#emit(this.#carry + chunk.slice(start, i), records);
          this.#carry = '';
          start = i + 1;
          this.#state = FIELD_START;
          this.#line++;
          this.#recordLine = this.#line;
          continue;
        }
        this.#line++;
        continue;
      }
      switch (this.#state) {
        case FIELD_START:
          this.#state = char === 34 /* " */ ? QUOTED : char === 44 /* , */ ? FIELD_START : UNQUOTED;
          break;
        case UNQUOTED:
          if (char === 44) this.#state = FIELD_START;
          break;
        case QUOTED:
          if (char === 34) this.#state = QUOTE_IN_QUOTED;
          break;
        case QUOTE_IN_QUOTED:
          this.#state = char === 34 ? QUOTED : char === 44 ? FIELD_START : UNQUOTED;
          break;
      }
    }
    this.#carry += chunk.slice(start);
    return records;
  }

  /** The last record, when the file does not end with a newline. */
  end(): FileRecord[] {
    const records: FileRecord[] = [];
    this.#emit(this.#carry, records);
    this.#carry = '';
    return records;
  }

  #emit(raw: string, records: FileRecord[]): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text !== '') records.push({ text, line: this.#recordLine });
  }
}

/** NDJSON: one record per non-blank line. */
export class LineSplitter {
  #carry = '';
  #line = 0;

  push(chunk: string): FileRecord[] {
    const parts = (this.#carry + chunk).split('\n');
    this.#carry = parts.pop()!;
    return this.#records(parts);
  }

  end(): FileRecord[] {
    const last = this.#carry;
    this.#carry = '';
    return this.#records([last]);
  }

  #records(lines: string[]): FileRecord[] {
    const records: FileRecord[] = [];
    for (const raw of lines) {
      this.#line++;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() !== '') records.push({ text, line: this.#line });
    }
    return records;
  }
}

export async function* fileRecords(path: string, format: ImportFormat): AsyncGenerator<FileRecord> {
  const splitter = format === 'csv' ? new CsvRecordSplitter() : new LineSplitter();
  let first = true;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }) as AsyncIterable<string>) {
    const text = first && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk;
    first = false;
    yield* splitter.push(text);
  }
  yield* splitter.end();
}

/** Data rows in the file (the CSV header not counted), for the progress bar's total. */
export async function countRows(path: string, format: ImportFormat): Promise<number> {
  let records = 0;
  for await (const _record of fileRecords(path, format)) records++;
  return format === 'csv' ? Math.max(0, records - 1) : records;
}

/**
 * The file as slices of at most maxRows records and about maxBytes each. A
 * CSV with a header and no rows is one empty slice, so the API still checks
 * the header.
 */
export async function* fileSlices(path: string, format: ImportFormat, limits: { maxRows: number; maxBytes: number }): AsyncGenerator<Slice> {
  let header: string | undefined;
  let records: string[] = [];
  let lines: number[] = [];
  let bytes = 0;
  let nextRow = 1;
  let sent = false;
  const cut = (): Slice => {
    const body = `${header !== undefined ? `${header}\n` : ''}${records.join('\n')}${records.length > 0 ? '\n' : ''}`;
    const slice = { body, firstRow: nextRow, rows: records.length, lines };
    nextRow += records.length;
    records = [];
    lines = [];
    bytes = 0;
    sent = true;
    return slice;
  };
  for await (const record of fileRecords(path, format)) {
    if (format === 'csv' && header === undefined) {
      header = record.text;
      continue;
    }
    records.push(record.text);
    lines.push(record.line);
    bytes += Buffer.byteLength(record.text) + 1;
    if (records.length >= limits.maxRows || bytes >= limits.maxBytes) yield cut();
  }
  if (records.length > 0 || (!sent && header !== undefined)) yield cut();
}

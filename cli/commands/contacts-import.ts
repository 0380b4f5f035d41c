// wce contacts import FILE: sends a CSV (or NDJSON) file to
// POST /v1/contacts/import. The API answers an import request only once every
// row of it is stored or refused, so the file goes as a series of slices of
// whole rows (a CSV slice repeats the header), one request at a time and in
// order; between them the progress bar shows real counts, and refused rows
// are reported with their row number (and line) in the whole file.
import { extname } from 'node:path';
import { stat } from 'node:fs/promises';
import type { FieldError } from '../api-client.ts';
import { read, UsageError, type Command } from '../command.ts';
import { count, err, out, printJson } from '../output.ts';
import { ProgressBar } from '../progress-bar.ts';
import { countRows, fileSlices, type ImportFormat } from '../record-slices.ts';

interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  rejected: number;
  replayedBatches: number;
  errors: { row: number; errors: FieldError[] }[];
  errorsTruncated: boolean;
}

interface FileImportResult extends ImportResult {
  file: string;
  errors: { row: number; line: number | undefined; errors: FieldError[] }[];
}

const LISTED_ERRORS = 1000;
const SLICE_BYTES = 4 * 1024 * 1024;

/** CLI flag → the API's query parameter; only the flags given are sent (a mapped column the file lacks refuses it). */
const mappings = {
  'phone-column': 'phoneColumn',
  'external-id-column': 'externalIdColumn',
  'name-column': 'nameColumn',
  'time-zone-column': 'timeZoneColumn',
  'locale-column': 'localeColumn',
  'consent-column': 'consentColumn',
  'consent-scopes': 'consentScopes',
  proof: 'proof',
  'attribute-columns': 'attributeColumns',
} as const;

function formatOf(file: string, given: string | undefined): ImportFormat {
  if (given !== undefined) {
    if (given !== 'csv' && given !== 'ndjson') throw new UsageError('--format must be csv or ndjson');
    return given;
  }
  return ['.ndjson', '.jsonl'].includes(extname(file).toLowerCase()) ? 'ndjson' : 'csv';
}

export const contactsImport: Command = {
  words: ['contacts', 'import'],
  summary: 'import contacts (and their WhatsApp consent) from a CSV or NDJSON file',
  usage: 'FILE [options]',
  options: {
    format: { type: 'string' },
    'slice-rows': { type: 'string' },
    ...Object.fromEntries(Object.keys(mappings).map((flag) => [flag, { type: 'string' as const }])),
  },
  optionHelp: [
    ['--phone-column NAME', 'column with the WhatsApp number (default phone)'],
    ['--external-id-column NAME', 'your id for the contact (default external_id)'],
    ['--name-column NAME', 'display name (default name)'],
    ['--time-zone-column NAME', 'IANA time zone (default time_zone)'],
    ['--locale-column NAME', 'locale (default locale)'],
    ['--consent-column NAME', 'true/false grants or revokes WhatsApp consent; empty = unchanged (default consent)'],
    ['--consent-scopes SCOPE', 'MARKETING, UTILITY or BOTH (default BOTH)'],
    ['--proof TEXT', 'recorded with every consent change, e.g. the form that collected it'],
    ['--attribute-columns A,B', 'columns kept as attributes (default: every column not mapped)'],
    ['--format csv|ndjson', 'default: from the file name (.ndjson/.jsonl = NDJSON, else CSV)'],
    ['--slice-rows N', 'rows per request (default 5000); progress is reported after each'],
  ],
  notes: [
    'Rows are numbered as the API numbers them: the first row after the CSV header is row 1.',
    'Bad rows are reported and do not block good ones; the exit code is 0 when the import ran.',
    'Importing the same file again is safe: rows are upserts, matched by number, else external id.',
  ],
  examples: [
    'wce contacts import contacts.csv --proof "signup form v2"',
    'wce contacts import crm.csv --phone-column mobile --consent-scopes MARKETING',
  ],
  positionals: { min: 1, max: 1 },

  async run({ values, positionals, json, api }) {
    const file = positionals[0]!;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new UsageError(`${file} is not a readable file`);
    const format = formatOf(file, read.string(values, 'format'));
    const sliceRows = read.integer(values, 'slice-rows', { min: 1, max: 100_000 }) ?? 5000;
    const query: Record<string, string> = {};
    for (const [flag, parameter] of Object.entries(mappings)) {
      const value = read.string(values, flag);
      if (value !== undefined) query[parameter] = value;
    }
    const contentType = format === 'csv' ? 'text/csv' : 'application/x-ndjson';

    const total = await countRows(file, format);
    const bar = new ProgressBar({ total, unit: 'rows' });
    const result: FileImportResult = { file, rows: 0, created: 0, updated: 0, rejected: 0, replayedBatches: 0, errors: [], errorsTruncated: false };
    const tally = () => `${count(result.created + result.updated)} accepted · ${count(result.rejected)} rejected`;
    let done = 0;
    let slices = 0;
    bar.update(0, tally(), true);
    try {
      for await (const slice of fileSlices(file, format, { maxRows: sliceRows, maxBytes: SLICE_BYTES })) {
        const answer = await api().post<ImportResult>('/v1/contacts/import', undefined, {
          body: { content: slice.body, contentType }, query, timeoutMs: 10 * 60_000,
        });
        slices++;
        result.rows += answer.rows;
        result.created += answer.created;
        result.updated += answer.updated;
        result.rejected += answer.rejected;
        result.replayedBatches += answer.replayedBatches;
        for (const rejected of answer.errors) {
          if (result.errors.length >= LISTED_ERRORS) break;
          result.errors.push({ row: slice.firstRow + rejected.row - 1, line: slice.lines[rejected.row - 1], errors: rejected.errors });
        }
        result.errorsTruncated ||= answer.errorsTruncated || result.errors.length < result.rejected;
        done += slice.rows;
        bar.update(done, tally());
      }
    } catch (error) {
      bar.finish(done, tally());
      if (done > 0) err(`Stopped after row ${count(done)} of ${count(total)}: those rows are stored; importing the file again is safe (rows are upserts).`);
      throw error;
    }
    bar.finish(done, tally());
    if (slices === 0) throw new UsageError(`${file} is empty`);

    if (json) {
      printJson(result);
      return 0;
    }
    out(`Imported ${file}: ${count(result.rows)} rows, ${count(result.created + result.updated)} accepted (${count(result.created)} created, ${count(result.updated)} updated), ${count(result.rejected)} rejected.`);
    if (result.errors.length > 0) {
      out('Rejected rows:');
      for (const { row, line, errors } of result.errors) {
        out(`  row ${row}${line !== undefined ? ` (line ${line})` : ''}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
      }
      if (result.errorsTruncated) out(`  … ${count(result.rejected - result.errors.length)} more rejected rows not listed.`);
    }
    return 0;
  },
};

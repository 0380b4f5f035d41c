// POST /v1/contacts/import: a CSV or NDJSON file streamed through the parser a
// batch at a time (never held in memory), each row applied or reported by its
// number. Mapped columns missing from a CSV header refuse the file up front.
//
// Three stages overlap, one batch each: the request thread parses the file,
// a worker thread validates and normalises the rows parsed before (phone
// numbers are most of the CPU), and the database writes the batch before that.
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Piscina } from 'piscina';
import { importOptionsSchema, missingColumns, scopesOf, type ImportOptions, type MappedRow } from '../domain/contact-import.ts';
import { Problem, ValidationProblem, type FieldError } from '../domain/problems.ts';
import { ContactImporter, type NumberedRow } from '../db/contact-import.ts';
import type { Db } from '../db/database.ts';
import type { MapRowsTask } from './contact-import-worker.ts';
import { commonProblemResponses, problemSchema } from './problem.ts';

const BATCH_ROWS = 1000;
/** Wide rows make smaller batches: a batch's input never exceeds this, whatever the row count. */
const BATCH_BYTES = 4 * 1024 * 1024;
const REPORTED_ERRORS = 1000;

const importResult = z.object({
  rows: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  rejected: z.number().int(),
  replayedBatches: z.number().int().describe('Batches the database refused as a whole (a row conflicting with another) and that were applied row by row.'),
  errors: z.array(z.object({ row: z.number().int(), errors: z.array(z.object({ field: z.string(), message: z.string() })) })),
  errorsTruncated: z.boolean().describe(`Only the first ${REPORTED_ERRORS} rejected rows are listed.`),
}).meta({ id: 'ImportResult' });

/** A parsed row and the bytes of input it took, or why it could not be parsed. */
type Row = { row: number; record: Record<string, unknown>; bytes: number } | { row: number; error: FieldError };
/** Parsed rows waiting for validation, with their row numbers. */
interface RawBatch { rows: number[]; records: Record<string, unknown>[]; bytes: number }

async function* csvRows(body: Readable, options: ImportOptions, given: Record<string, unknown>): AsyncGenerator<Row> {
  const skipped: Row[] = [];
  const parser = body.pipe(parse({
    bom: true,
    skip_empty_lines: true,
    info: true,
    skip_records_with_error: true,
    columns: (header: string[]) => {
      const errors = missingColumns(options, header, given);
      if (errors.length > 0) throw new ValidationProblem(errors);
      return header;
    },
  }));
  parser.on('skip', (error: { message: string; records?: number }) => {
    skipped.push({ row: (error.records ?? 0) + 1, error: { field: 'row', message: `malformed CSV: ${error.message}` } });
  });
  let consumed = 0;
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, unknown>; info: { records: number; bytes: number } }>) {
    yield* skipped.splice(0);
    yield { row: info.records, record, bytes: info.bytes - consumed };
    consumed = info.bytes;
  }
  yield* skipped.splice(0);
}

async function* ndjsonRows(body: Readable): AsyncGenerator<Row> {
  let row = 0;
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    row++;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      yield { row, record: value as Record<string, unknown>, bytes: line.length };
    } catch {
      yield { row, error: { field: 'row', message: 'is not a JSON object' } };
    }
  }
}

export const contactImportRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  // One core stays with the request thread (and a local database). One thread always runs, so a crashed
  // thread (a batch too big for its heap) is replaced while other batches wait for it.
  const rowMappers = new Piscina<MapRowsTask, MappedRow[]>({
    filename: new URL('./contact-import-worker.ts', import.meta.url).href,
    minThreads: 1,
    maxThreads: Math.min(4, Math.max(1, availableParallelism() - 1)),
    idleTimeout: 30_000,
    // A thread holds one batch (at most BATCH_BYTES of input) at a time: a small heap keeps a million-row import within its memory bound.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
  app.addHook('onClose', () => rowMappers.destroy());

  // The body is handed over as a stream: files of a million rows never sit in memory.
  app.addContentTypeParser(['text/csv', 'application/x-ndjson', 'application/ndjson'], (_request, payload, done) => done(null, payload));

  app.post('/v1/contacts/import', {
    schema: {
      summary: 'Import contacts from a CSV (text/csv) or NDJSON (application/x-ndjson) body',
      description: 'Each row is applied on its own or reported with its number; mapped CSV columns missing from the header refuse the whole file before any row is stored.',
      tags: ['contacts'],
      security: [{ bearerAuth: [] }],
      querystring: importOptionsSchema,
      response: { 200: importResult, 415: problemSchema, ...commonProblemResponses },
    },
  }, async (request) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
    const body = request.body as Readable;
    const options = request.query;
    // Which mappings the caller named (defaults that the file lacks are simply unused columns).
    const given = Object.fromEntries(new URL(request.url, 'http://localhost').searchParams);
    const rows = type === 'text/csv' ? csvRows(body, options, given) : ndjsonRows(body);
    const importer = new ContactImporter(db, scopesOf(options), options.proof);
    const result: z.infer<typeof importResult> = { rows: 0, created: 0, updated: 0, rejected: 0, replayedBatches: 0, errors: [], errorsTruncated: false };
    const reject = (row: number, errors: FieldError[]) => {
      result.rejected++;
      if (result.errors.length < REPORTED_ERRORS) result.errors.push({ row, errors });
      else result.errorsTruncated = true;
    };
    let previous: Promise<void> = Promise.resolve();
    // A failed import withdraws its batches still queued for a thread.
    const abandon = new AbortController();
    const submit = async (batch: RawBatch) => {
      const mapping = rowMappers.run({ records: batch.records, options }, { signal: abandon.signal });
      mapping.catch(() => undefined); // observed below, after the previous batch
      const before = previous;
      previous = (async () => {
        const mapped = await mapping;
        await before; // written in file order: a later row about the same contact wins
        const valid: NumberedRow[] = [];
        mapped.forEach((outcome, i) => {
          if ('errors' in outcome) reject(batch.rows[i]!, outcome.errors);
          else valid.push({ row: batch.rows[i]!, data: outcome });
        });
        const written = await importer.importBatch(valid);
        result.created += written.created;
        result.updated += written.updated;
        if (written.replayed) result.replayedBatches++;
        for (const { row, errors } of written.errors) reject(row, errors);
      })();
      // Observed at the next submit or at the end; until then a failure must not count as unhandled.
      previous.catch(() => undefined);
      // Bounded memory: the parser goes on only once the batch before this one is written.
      await before;
    };
    let batch: RawBatch = { rows: [], records: [], bytes: 0 };
    try {
      for await (const item of rows) {
        result.rows++;
        if ('error' in item) {
          reject(item.row, [item.error]);
          continue;
        }
        batch.rows.push(item.row);
        batch.records.push(item.record);
        batch.bytes += item.bytes;
        if (batch.records.length >= BATCH_ROWS || batch.bytes >= BATCH_BYTES) {
          await submit(batch);
          batch = { rows: [], records: [], bytes: 0 };
        }
      }
      if (batch.records.length > 0) await submit(batch);
      await previous;
    } catch (error) {
      abandon.abort();
      await previous.catch(() => undefined);
      if (error instanceof Problem) throw error;
      // csv-parse wraps errors thrown from the header callback.
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof Problem) throw cause;
      if (error instanceof Error && /CSV|Invalid|Quote|delimiter/i.test(error.message)) throw new ValidationProblem([{ field: 'body', message: error.message }]);
      throw error;
    }
    result.errors.sort((a, b) => a.row - b.row);
    return result;
  });
};

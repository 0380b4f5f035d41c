// `npm run bench:import`: rows/s of POST /v1/contacts/import for 100,000 CSV
// rows on embedded PGlite and on the Postgres server (DATABASE_URL, else the
// local one), and the peak RSS of the process while it imports 1,000,000 rows
// on Postgres (the file is generated and streamed, never held in memory).
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../../api/server.ts';
import { migrateToLatest, openDatabase, type DatabaseTarget } from '../../db/database.ts';
import { SecretBox } from '../../db/secret-box.ts';
import { createScratchPostgres } from '../../test/helpers/database.ts';
import { freePort } from '../temporal-dev-server.ts';

const rowsPerRun = Number(process.env.BENCH_ROWS ?? 100_000);
const memoryRunRows = Number(process.env.BENCH_MEMORY_ROWS ?? 1_000_000);
const postgresServer = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const token = 'bench-token-0123456789';

function* csv(rows: number): Generator<string> {
  yield 'phone,name,time_zone,consent,plan\n';
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `+4478${String(i).padStart(8, '0')},Contact ${i},Europe/London,${i % 3 === 0 ? 'true' : 'false'},${i % 2 ? 'gold' : 'silver'}\n`;
    if (chunk.length > 64_000) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

async function run(label: string, target: DatabaseTarget, rows: number): Promise<void> {
  const db = openDatabase(target);
  await migrateToLatest(db);
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const api = await buildApi({ db, secrets: new SecretBox(Buffer.alloc(32, 7)), temporal: new Client({ connection }), apiToken: token, logLevel: 'warn' });
  const url = await api.listen({ port: 0, host: '127.0.0.1' });
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 100);
  const started = performance.now();
  try {
    const response = await fetch(`${url}/v1/contacts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(Readable.from(csv(rows))) as ReadableStream,
      duplex: 'half',
    });
    const result = (await response.json()) as { rows: number; created: number; rejected: number };
    const seconds = (performance.now() - started) / 1000;
    console.log(`${label.padEnd(34)} ${String(rows).padStart(9)} rows  ${(result.rows / seconds).toFixed(0).padStart(7)} rows/s  created ${result.created}  rejected ${result.rejected}  peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB (at start ${(startRss / 1024 / 1024).toFixed(0)} MB, peak JS heap ${(peakHeap / 1024 / 1024).toFixed(0)} MB)`);
  } finally {
    clearInterval(sampler);
    await api.close();
    await connection.close();
    await db.destroy();
  }
}

// Each target in its own process: RSS never shrinks, so one run's peak would hide the next one's.
const only = process.env.BENCH_TARGET;
if (!only) {
  console.log(`POST /v1/contacts/import, generated CSV streamed over HTTP, batches of 1,000 rows\n`);
  for (const target of ['pglite', 'postgres', ...(memoryRunRows > 0 ? ['memory'] : [])]) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_TARGET: target }, stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else if (only === 'pglite') {
  await run('PGlite (embedded, in memory)', { kind: 'pglite' }, rowsPerRun);
} else if (only === 'postgres') {
  const scratch = await createScratchPostgres(postgresServer);
  try {
    await run('PostgreSQL server', { kind: 'postgres', url: scratch.url }, rowsPerRun);
  } finally {
    await scratch.drop();
  }
} else {
  const big = await createScratchPostgres(postgresServer);
  try {
    await run('PostgreSQL server, memory check', { kind: 'postgres', url: big.url }, memoryRunRows);
  } finally {
    await big.drop();
  }
}

// `npm run bench:import`: rows/s of POST /v1/contacts/import for 100,000 CSV
// rows on embedded PGlite and on the Postgres server (DATABASE_URL, else the
// local one), and the peak RSS of the API process while it imports 1,000,000
// rows into Postgres. The API runs in its own process (its peak RSS is the
// kernel's VmHWM); this process generates the CSV and streams it over HTTP.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createScratchPostgres } from '../../test/helpers/database.ts';
import { projectRoot } from '../paths.ts';

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

/** CPU seconds the process has used (user + system), from /proc: where the import's time goes. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const megabytes = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const statusKb = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

async function run(label: string, databaseUrl: string | undefined, rows: number): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, API_TOKEN: token };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  // The heap settings of `npm run api`: without them V8 lets a streaming import's garbage pile up to ~450 MB before collecting.
  const server = spawn(process.execPath, ['--max-semi-space-size=16', '--max-old-space-size=192', join(projectRoot, 'scripts', 'bench', 'import-server.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(server.stdout, 'data')) as [Buffer];
  const url = line.toString().trim();
  const startRss = statusKb(server.pid!, 'VmRSS');
  const startCpu = cpuSeconds(server.pid!);
  const started = performance.now();
  const response = await fetch(`${url}/v1/contacts/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: Readable.toWeb(Readable.from(csv(rows))) as ReadableStream,
    duplex: 'half',
  });
  const result = (await response.json()) as { rows: number; created: number; rejected: number };
  const seconds = (performance.now() - started) / 1000;
  const peak = statusKb(server.pid!, 'VmHWM');
  const busy = (cpuSeconds(server.pid!) - startCpu) / seconds;
  server.kill('SIGTERM');
  await once(server, 'exit');
  console.log(`${label.padEnd(32)} ${String(rows).padStart(9)} rows ${(result.rows / seconds).toFixed(0).padStart(7)} rows/s  created ${result.created}  rejected ${result.rejected}  API process: ${megabytes(startRss)} idle, ${megabytes(peak)} peak RSS, CPU ${(busy * 100).toFixed(0)}% busy`);
}

console.log('POST /v1/contacts/import: a generated CSV streamed over HTTP to the API in its own process, 1,000-row batches\n');
await run('PGlite (embedded, in memory)', undefined, rowsPerRun);
for (const rows of [rowsPerRun, ...(memoryRunRows > 0 ? [memoryRunRows] : [])]) {
  const scratch = await createScratchPostgres(postgresServer);
  try {
    await run('PostgreSQL server', scratch.url, rows);
  } finally {
    await scratch.drop();
  }
}

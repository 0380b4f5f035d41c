// `npm start`: the whole stack on one machine, no Docker, no external services.
// Temporal dev server (SQLite in .data/, Web UI), the database (PGlite in
// .data/ unless DATABASE_URL is set), the worker and the API, in one process
// except for the Temporal server. Ctrl-C stops everything; the next start
// resumes every open workflow from the same files.
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parseApiConfig, parseWorkerConfig } from '../domain/config.ts';
import { databaseTargetFromEnv, describeTarget, migrateToLatest, openDatabase } from '../db/database.ts';
import { SecretBox } from '../db/secret-box.ts';
import { buildApi } from '../api/server.ts';
import { prepareNamespace } from '../workers/namespace.ts';
import { installRuntime } from '../workers/runtime.ts';
import { connectWorker, temporalSettingsFromEnv } from '../workers/temporal-connection.ts';
import { createEngineWorker } from '../workers/worker.ts';
import { embeddedSecrets } from './embedded-secrets.ts';
import { dataDir, embeddedDatabaseDir } from './paths.ts';
import { ensureBinary, temporalCli } from './temporal-binaries.ts';
import { startDevServer, type DevServer } from './temporal-dev-server.ts';

const startedAt = performance.now();
mkdirSync(dataDir, { recursive: true });
const env = process.env;
const pidFile = join(dataDir, 'temporal.pid');

/** A launcher killed with SIGKILL leaves its detached Temporal server behind; stop it before starting anew. */
function stopLeftoverServer(): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(pidFile, { force: true });
}

async function startEmbeddedTemporal(): Promise<DevServer> {
  stopLeftoverServer();
  const server = await startDevServer({
    cliPath: await ensureBinary(temporalCli),
    port: Number(env.TEMPORAL_PORT ?? 7233),
    uiPort: Number(env.TEMPORAL_UI_PORT ?? 8233),
    dbFile: join(dataDir, 'temporal.db'),
    logFile: join(dataDir, 'temporal.log'),
    detached: true,
  });
  writeFileSync(pidFile, String(server.child.pid));
  return server;
}

// An external Temporal (TEMPORAL_ADDRESS) replaces the embedded dev server.
const temporalServer = env.TEMPORAL_ADDRESS ? undefined : await startEmbeddedTemporal();
if (temporalServer) env.TEMPORAL_ADDRESS = temporalServer.address;
const settings = temporalSettingsFromEnv();

const secrets = embeddedSecrets(dataDir, env);
const apiConfig = parseApiConfig({ ...env, API_TOKEN: secrets.apiToken, ENCRYPTION_KEY: secrets.encryptionKey });
const workerConfig = parseWorkerConfig({ ...env, ENCRYPTION_KEY: secrets.encryptionKey });
const secretBox = SecretBox.fromBase64(secrets.encryptionKey);

const databaseTarget = databaseTargetFromEnv(env, embeddedDatabaseDir);
const db = openDatabase(databaseTarget);
await migrateToLatest(db);

const clientConnection = await Connection.connect({ ...settings.connectionOptions, address: settings.address });
if (temporalServer) await prepareNamespace(clientConnection, settings.namespace);
const temporal = new Client({ connection: clientConnection, namespace: settings.namespace });

const metricsUrl = installRuntime({ metricsHost: workerConfig.METRICS_HOST, metricsPort: workerConfig.METRICS_PORT, logLevel: 'warn' });
const workerConnection = await connectWorker(settings);
const worker = await createEngineWorker({ connection: workerConnection, namespace: settings.namespace, db, secrets: secretBox });
const workerRun = worker.run();

const api = await buildApi({ db, secrets: secretBox, temporal, apiToken: apiConfig.API_TOKEN, logLevel: env.LOG_LEVEL ?? 'warn' });
await api.listen({ host: apiConfig.API_HOST, port: apiConfig.API_PORT });

const apiUrl = `http://${apiConfig.API_HOST}:${apiConfig.API_PORT}`;
const uiPort = env.TEMPORAL_UI_PORT ?? 8233;
console.log(`
WhatsApp campaign engine is up (${((performance.now() - startedAt) / 1000).toFixed(1)} s)

  API            ${apiUrl}
  API docs       ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)
  API token      ${apiConfig.API_TOKEN}
  Temporal UI    ${temporalServer ? `http://127.0.0.1:${uiPort}/namespaces/${settings.namespace}/workflows` : '(external cluster: use its own Web UI)'}
  Temporal       ${settings.address} namespace ${settings.namespace}${temporalServer ? ' (embedded dev server, .data/temporal.db)' : ''}
  Database       ${describeTarget(databaseTarget)}
  Worker metrics ${metricsUrl}

  Try: curl -H "Authorization: Bearer ${apiConfig.API_TOKEN}" ${apiUrl}/v1/senders
  Ctrl-C stops everything; the next npm start resumes where it stopped.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('Stopping: API, worker, database, Temporal…');
  await api.close();
  // The Temporal runtime already began draining the worker on this same signal.
  await workerRun.catch((error: unknown) => console.error('worker stopped with an error', error));
  await workerConnection.close();
  await clientConnection.close();
  await db.destroy();
  await temporalServer?.stop();
  rmSync(pidFile, { force: true });
  console.log('Stopped.');
}

// `on`, not `once`: a terminal's Ctrl-C reaches this process both directly and
// forwarded by npm; the second signal must not fall through to Node's default exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stop().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

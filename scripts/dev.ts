// `npm start`: the whole stack on one machine, no Docker, no external services.
// Temporal dev server (SQLite in .data/, Web UI), the database (PGlite in
// .data/ unless DATABASE_URL is set), the Vonage simulator (unless
// VONAGE_API_HOST names a real Vonage), the worker and the API, all in this
// process except the Temporal server. Ctrl-C stops everything in reverse order;
// the next start resumes every open workflow from the same files.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/server.ts';
import { approvalTimingFrom, campaignOptionsFrom, keywordsFrom, metaGraphFrom, parseApiConfig, parseWorkerConfig } from '../domain/config.ts';
import { databaseTargetFromEnv, describeTarget, migrateToLatest, openDatabase } from '../db/database.ts';
import { SecretBox } from '../db/secret-box.ts';
import { SendersRepository } from '../db/senders.ts';
import { VonageSimulator } from '../vonage/simulator/server.ts';
import { prepareNamespace } from '../workers/namespace.ts';
import { installRuntime } from '../workers/runtime.ts';
import { connectWorker, temporalSettingsFromEnv } from '../workers/temporal-connection.ts';
import { createEngineWorker } from '../workers/worker.ts';
import { embeddedSecrets } from './embedded-secrets.ts';
import { dataDir, embeddedDatabaseDir } from './paths.ts';
import { senderAccountResolver, senderPortfolioResolver } from './simulator-accounts.ts';
import { ensureBinary, temporalCli } from './temporal-binaries.ts';
import { startDevServer, type DevServer } from './temporal-dev-server.ts';

const startedAt = performance.now();
const env = process.env;
const pidFile = join(dataDir, 'temporal.pid');
const dbFile = join(dataDir, 'temporal.db');

// Everything started is registered here and stopped in reverse order, on
// Ctrl-C, on a failure halfway through start-up, or when a part dies.
const cleanups: { name: string; run: () => Promise<void> }[] = [];
let stopping: Promise<void> | undefined;

function shutdown(exitCode: number): Promise<void> {
  stopping ??= (async () => {
    console.log('Stopping…');
    for (const { name, run } of cleanups.reverse()) {
      await run().catch((error: unknown) => console.error(`stopping ${name} failed:`, error));
    }
    console.log('Stopped.');
    process.exit(exitCode);
  })();
  return stopping;
}

// `on`, not `once`: a terminal's Ctrl-C reaches this process both directly and
// forwarded by npm; the second signal must not fall through to Node's default exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));

const isOurServer = (pid: number): boolean => {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('start-dev') && cmdline.includes(dbFile);
  } catch {
    return false;
  }
};

/** A launcher killed with SIGKILL leaves its detached Temporal server behind; stop it (and only it) first. */
async function stopLeftoverServer(): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || !isOurServer(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; isOurServer(pid) && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  if (isOurServer(pid)) process.kill(pid, 'SIGKILL');
}

async function startEmbeddedTemporal(): Promise<DevServer> {
  await stopLeftoverServer();
  const server = await startDevServer({
    cliPath: await ensureBinary(temporalCli),
    port: Number(env.TEMPORAL_PORT ?? 7233),
    uiPort: Number(env.TEMPORAL_UI_PORT ?? 8233),
    dbFile,
    logFile: join(dataDir, 'temporal.log'),
    detached: true,
  });
  writeFileSync(pidFile, String(server.child.pid));
  cleanups.push({ name: 'Temporal dev server', run: async () => {
    await server.stop();
    rmSync(pidFile, { force: true });
  } });
  server.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`The Temporal dev server exited (code ${code}); see ${join(dataDir, 'temporal.log')}.`);
    void shutdown(1);
  });
  return server;
}

async function start(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  // An external Temporal (TEMPORAL_ADDRESS) replaces the embedded dev server.
  const temporalServer = env.TEMPORAL_ADDRESS ? undefined : await startEmbeddedTemporal();
  if (temporalServer) env.TEMPORAL_ADDRESS = temporalServer.address;
  const settings = temporalSettingsFromEnv();

  const secrets = embeddedSecrets(dataDir, env);
  const apiConfig = parseApiConfig({ ...env, API_TOKEN: secrets.apiToken, ENCRYPTION_KEY: secrets.encryptionKey, META_APP_SECRET: secrets.metaAppSecret });
  const secretBox = SecretBox.fromBase64(secrets.encryptionKey);
  const apiUrl = `http://${apiConfig.API_HOST}:${apiConfig.API_PORT}`;
  const logLevel = env.LOG_LEVEL ?? 'warn';

  const databaseTarget = databaseTargetFromEnv(env, embeddedDatabaseDir);
  const db = openDatabase(databaseTarget);
  cleanups.push({ name: 'database', run: () => db.destroy() });
  await migrateToLatest(db);

  // No real Vonage configured: every send goes to the simulator, nothing leaves this machine.
  let vonageDescription = `real Vonage API at ${env.VONAGE_API_HOST}`;
  if (!env.VONAGE_API_HOST) {
    const senders = new SendersRepository(db, secretBox);
    const graphToken = randomBytes(24).toString('base64url');
    const simulator = new VonageSimulator({
      resolveAccount: senderAccountResolver(senders, apiUrl),
      resolvePortfolio: senderPortfolioResolver(senders),
      // Template verdicts and limit/quality changes reach the workflows at once, as Meta's webhooks would.
      metaWebhook: { url: `${apiUrl}/webhooks/meta`, appSecret: secrets.metaAppSecret },
      // The worker polls the simulated Graph API too (its token lives as long as this process).
      metaAccessToken: graphToken,
      timeScale: apiConfig.TIME_SCALE,
    });
    cleanups.push({ name: 'Vonage simulator', run: () => simulator.close() });
    env.VONAGE_API_HOST = await simulator.listen(Number(env.SIMULATOR_PORT ?? 4010));
    env.META_GRAPH_URL = `${env.VONAGE_API_HOST}/graph/v23.0`;
    env.META_ACCESS_TOKEN = graphToken;
    vonageDescription = `SIMULATOR at ${env.VONAGE_API_HOST} (no message leaves this machine; control API ${env.VONAGE_API_HOST}/_sim/; Meta's Graph API ${env.META_GRAPH_URL})`;
  }

  const workerConfig = parseWorkerConfig({ ...env, ENCRYPTION_KEY: secrets.encryptionKey });
  const clientConnection = await Connection.connect({ ...settings.connectionOptions, address: settings.address });
  cleanups.push({ name: 'Temporal client', run: () => clientConnection.close() });
  if (temporalServer) await prepareNamespace(clientConnection, settings.namespace);
  const temporal = new Client({ connection: clientConnection, namespace: settings.namespace });

  const metricsUrl = installRuntime({ metricsHost: workerConfig.METRICS_HOST, metricsPort: workerConfig.METRICS_PORT, logLevel });
  const workerConnection = await connectWorker(settings);
  cleanups.push({ name: 'worker connection', run: () => workerConnection.close() });
  const worker = await createEngineWorker({
    connection: workerConnection,
    namespace: settings.namespace,
    db,
    secrets: secretBox,
    vonage: { apiHost: workerConfig.VONAGE_API_HOST, timeoutMs: workerConfig.VONAGE_TIMEOUT_MS },
    metaGraph: metaGraphFrom(workerConfig),
  });
  const workerRun = worker.run().catch((error: unknown) => {
    if (stopping) return;
    console.error('The worker failed:', error);
    void shutdown(1);
  });
  cleanups.push({ name: 'worker', run: async () => {
    // The Temporal runtime may already be draining it on the same signal.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
  } });

  const api = await buildApi({
    db,
    secrets: secretBox,
    temporal,
    apiToken: apiConfig.API_TOKEN,
    logLevel,
    meta: { appSecret: apiConfig.META_APP_SECRET, verifyToken: apiConfig.META_VERIFY_TOKEN },
    approvalTiming: approvalTimingFrom(apiConfig),
    keywords: keywordsFrom(apiConfig),
    timeScale: apiConfig.TIME_SCALE,
    campaignOptions: campaignOptionsFrom(apiConfig),
    temporalUiUrl: apiConfig.TEMPORAL_UI_URL ?? (temporalServer ? `http://127.0.0.1:${env.TEMPORAL_UI_PORT ?? 8233}` : undefined),
  });
  cleanups.push({ name: 'API', run: () => api.close() });
  await api.listen({ host: apiConfig.API_HOST, port: apiConfig.API_PORT });

  const uiPort = env.TEMPORAL_UI_PORT ?? 8233;
  console.log(`
WhatsApp campaign engine is up (${((performance.now() - startedAt) / 1000).toFixed(1)} s)

  API            ${apiUrl}
  Dashboard      ${apiUrl}/ui?token=${encodeURIComponent(apiConfig.API_TOKEN)}
  API docs       ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)
  API metrics    ${apiUrl}/metrics   (with the token as a bearer)
  API token      ${apiConfig.API_TOKEN}
  Temporal UI    ${temporalServer ? `http://127.0.0.1:${uiPort}/namespaces/${settings.namespace}/workflows` : '(external cluster: use its own Web UI)'}
  Temporal       ${settings.address} namespace ${settings.namespace}${temporalServer ? ' (embedded dev server, .data/temporal.db)' : ''}
  Database       ${describeTarget(databaseTarget)}
  Vonage         ${vonageDescription}
  Worker metrics ${metricsUrl}

  Try: curl -H "Authorization: Bearer ${apiConfig.API_TOKEN}" ${apiUrl}/v1/senders
  Ctrl-C stops everything; the next npm start resumes where it stopped.
`);
}

try {
  await start();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
}

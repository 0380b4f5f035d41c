// `npm run worker`: one production worker process. Run N of them against the
// same Temporal namespace and Postgres; Temporal spreads the work.
import { metaGraphFrom, parseWorkerConfig } from '../domain/config.ts';
import { migrateToLatest, openDatabase, sharedDatabaseTarget } from '../db/database.ts';
import { SecretBox } from '../db/secret-box.ts';
import { installRuntime } from './runtime.ts';
import { connectWorker, temporalSettingsFromEnv } from './temporal-connection.ts';
import { createEngineWorker } from './worker.ts';
import { bundleWorkflowsInChildProcess } from './workflow-bundle.ts';

const config = parseWorkerConfig(process.env);
const db = openDatabase(sharedDatabaseTarget(process.env));
await migrateToLatest(db);
const metricsUrl = installRuntime({ metricsHost: config.METRICS_HOST, metricsPort: config.METRICS_PORT, logLevel: config.LOG_LEVEL });
const settings = temporalSettingsFromEnv();
const connection = await connectWorker(settings);
const worker = await createEngineWorker({
  workflowBundle: await bundleWorkflowsInChildProcess(),
  connection,
  namespace: settings.namespace,
  db,
  secrets: SecretBox.fromBase64(config.ENCRYPTION_KEY),
  vonage: { apiHost: config.VONAGE_API_HOST, timeoutMs: config.VONAGE_TIMEOUT_MS },
  metaGraph: metaGraphFrom(config),
});
console.log(`worker polling ${settings.address} namespace ${settings.namespace}; metrics at ${metricsUrl}`);
try {
  // Resolves after SIGINT/SIGTERM: the runtime's shutdown signals drain the worker.
  await worker.run();
} finally {
  await connection.close();
  await db.destroy();
}

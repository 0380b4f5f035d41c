// `npm run api`: one production API process. Stateless; run N behind a load balancer.
import { Connection, Client } from '@temporalio/client';
import { approvalTimingFrom, campaignOptionsFrom, keywordsFrom, parseApiConfig } from '../domain/config.ts';
import { migrateToLatest, openDatabase, sharedDatabaseTarget } from '../db/database.ts';
import { SecretBox } from '../db/secret-box.ts';
import { temporalSettingsFromEnv } from '../workers/temporal-connection.ts';
import { buildApi } from './server.ts';

const config = parseApiConfig(process.env);
const db = openDatabase(sharedDatabaseTarget(process.env));
await migrateToLatest(db);
const settings = temporalSettingsFromEnv();
// Lazy: the API starts (and /healthz reports it) even while Temporal is unreachable.
const connection = Connection.lazy({ ...settings.connectionOptions, address: settings.address });
const temporal = new Client({ connection, namespace: settings.namespace });
const app = await buildApi({
  db,
  secrets: SecretBox.fromBase64(config.ENCRYPTION_KEY),
  apiToken: config.API_TOKEN,
  logLevel: config.LOG_LEVEL,
  meta: { appSecret: config.META_APP_SECRET, verifyToken: config.META_VERIFY_TOKEN },
  approvalTiming: approvalTimingFrom(config),
  keywords: keywordsFrom(config),
  timeScale: config.TIME_SCALE,
  campaignOptions: campaignOptionsFrom(config),
  temporalUiUrl: config.TEMPORAL_UI_URL,
  temporal,
});
await app.listen({ host: config.API_HOST, port: config.API_PORT });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await app.close();
      await connection.close();
      await db.destroy();
    })();
  });
}

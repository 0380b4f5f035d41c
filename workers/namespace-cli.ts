// `npm run temporal:setup`: prepares TEMPORAL_NAMESPACE on the cluster at TEMPORAL_ADDRESS.
import { Connection } from '@temporalio/client';
import { defaultRetentionDays, prepareNamespace } from './namespace.ts';
import { temporalSettingsFromEnv } from './temporal-connection.ts';

const settings = temporalSettingsFromEnv();
const connection = await Connection.connect({ ...settings.connectionOptions, address: settings.address });
try {
  await prepareNamespace(connection, settings.namespace);
  console.log(`Namespace ${settings.namespace} on ${settings.address}: retention ≥ ${defaultRetentionDays} days, search attributes registered.`);
} finally {
  await connection.close();
}

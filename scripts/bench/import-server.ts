// The API alone, in its own process, for bench:import: the measured process is
// the one that imports, not the one that generates the file.
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../../api/server.ts';
import { migrateToLatest, openDatabase } from '../../db/database.ts';
import { SecretBox } from '../../db/secret-box.ts';

const db = openDatabase(process.env.DATABASE_URL ? { kind: 'postgres', url: process.env.DATABASE_URL } : { kind: 'pglite' });
await migrateToLatest(db);
const connection = Connection.lazy({ address: '127.0.0.1:9' }); // Temporal is not used by an import
const api = await buildApi({ db, secrets: new SecretBox(Buffer.alloc(32, 7)), temporal: new Client({ connection }), apiToken: process.env.API_TOKEN!, logLevel: 'warn' });
console.log(await api.listen({ port: 0, host: '127.0.0.1' }));
process.on('SIGTERM', () => {
  void api.close().then(() => db.destroy()).then(() => process.exit(0));
});

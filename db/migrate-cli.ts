// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the
// embedded database under .data/ when it is unset.
import { embeddedDatabaseDir } from '../scripts/paths.ts';
import { databaseTargetFromEnv, describeTarget, migrateToLatest, openDatabase } from './database.ts';

const target = databaseTargetFromEnv(process.env, embeddedDatabaseDir);
const db = openDatabase(target);
try {
  const applied = await migrateToLatest(db);
  console.log(`${describeTarget(target)}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}`);
} finally {
  await db.destroy();
}

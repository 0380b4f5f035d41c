// One way to open the database whatever runs it: a Postgres server when a URL
// is given, otherwise PGlite (real Postgres compiled to WASM) embedded in this
// process. Queries and migrations are identical on both.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { ConfigError } from '../domain/config.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** dataDir undefined = in memory (tests). */
  | { kind: 'pglite'; dataDir?: string };

export type Db = Kysely<Database>;

function poolSize(value: string | undefined): number {
  const size = Number(value ?? 10);
  if (!Number.isInteger(size) || size < 1) throw new ConfigError(`DATABASE_POOL_SIZE must be a positive integer (got ${value}).`);
  return size;
}

export function databaseTargetFromEnv(env: NodeJS.ProcessEnv, embeddedDataDir: string): DatabaseTarget {
  return env.DATABASE_URL
    ? { kind: 'postgres', url: env.DATABASE_URL, poolSize: poolSize(env.DATABASE_POOL_SIZE) }
    : { kind: 'pglite', dataDir: embeddedDataDir };
}

/**
 * The separate production processes (`npm run worker`, `npm run api`) share one
 * database, so they need a server: embedded PGlite can be opened by one process
 * only, which is why `npm start` hosts the worker and the API in one process.
 */
export function sharedDatabaseTarget(env: NodeJS.ProcessEnv): DatabaseTarget {
  if (!env.DATABASE_URL) {
    throw new ConfigError('DATABASE_URL is required: the worker and API processes share a Postgres server. ' +
      'For the embedded single-process stack, run npm start.');
  }
  return databaseTargetFromEnv(env, '');
}

function dialectFor(target: DatabaseTarget): Dialect {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    // An idle connection dying (server restart, failover, a terminated backend) must not crash
    // the process: without a listener pg rethrows it; the pool simply opens a new one when needed.
    pool.on('error', (error) => console.warn(`database: idle connection lost (${error.message})`));
    return new PostgresDialect({ pool });
  }
  return new PGliteDialect(new PGlite(target.dataDir));
}

export function openDatabase(target: DatabaseTarget): Db {
  return new Kysely<Database>({ dialect: dialectFor(target) });
}

export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'pglite') return `PGlite (embedded) ${target.dataDir ?? 'in memory'}`;
  const url = new URL(target.url);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** Applies every pending migration; throws (and applies nothing more) on the first failure. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

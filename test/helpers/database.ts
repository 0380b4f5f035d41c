// A fresh, migrated database per test file: a throw-away database on the
// Postgres server when DATABASE_URL is set, otherwise in-memory PGlite.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest, openDatabase, type DatabaseTarget, type Db } from '../../db/database.ts';

export interface TestDatabase {
  db: Db;
  target: DatabaseTarget;
  /** Closes the connection and drops the throw-away database. */
  cleanup(): Promise<void>;
}

async function withAdminClient<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the server at DATABASE_URL and returns its URL. */
export async function createScratchPostgres(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `test_${randomUUID().replaceAll('-', '')}`;
  await withAdminClient(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdminClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

export async function createTestDatabase(options: { migrate?: boolean; kind?: DatabaseTarget['kind'] } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  const kind = options.kind ?? (serverUrl ? 'postgres' : 'pglite');
  let target: DatabaseTarget;
  let drop = async () => {};
  if (kind === 'postgres') {
    if (!serverUrl) throw new Error('a Postgres test database needs DATABASE_URL');
    const scratch = await createScratchPostgres(serverUrl);
    target = { kind: 'postgres', url: scratch.url, poolSize: 4 };
    drop = scratch.drop;
  } else {
    target = { kind: 'pglite' };
  }
  const db = openDatabase(target);
  if (options.migrate ?? true) await migrateToLatest(db);
  return {
    db,
    target,
    async cleanup() {
      await db.destroy();
      await drop();
    },
  };
}

export interface SharedDatabase {
  /** Opens a connection from this process (with PGlite: only while no other process holds it). */
  open(): Db;
  /** What a child process needs to open the same database. */
  childEnv: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A database two processes can use: a scratch database on the Postgres server
 * when DATABASE_URL is set, else a PGlite directory (one process at a time).
 */
export async function createSharedDatabase(): Promise<SharedDatabase> {
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchPostgres(process.env.DATABASE_URL);
    return { open: () => openDatabase({ kind: 'postgres', url: scratch.url }), childEnv: { DATABASE_URL: scratch.url }, cleanup: scratch.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pglite-shared-'));
  return {
    open: () => openDatabase({ kind: 'pglite', dataDir: dir }),
    childEnv: { PGLITE_DIR: dir },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../db/database.ts';
import { migrations } from '../../db/migrations/index.ts';
import { createTestDatabase } from '../helpers/database.ts';

// PGlite always; the Postgres server too when DATABASE_URL names one (CI runs
// the suite both ways, so each database runs every other test as well).
const targets = ['pglite', 'postgres'] as const;

describe.each(targets)('migrations on %s', (kind) => {
  it.skipIf(kind === 'postgres' && !process.env.DATABASE_URL)('apply in order to an empty database, once', async () => {
    const database = await createTestDatabase({ kind, migrate: false });
    try {
      expect(await migrateToLatest(database.db)).toEqual(Object.keys(migrations));
      expect(await migrateToLatest(database.db)).toEqual([]); // forward-only and idempotent

      const columns = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns where table_name = 'senders' order by column_name`.execute(database.db);
      expect(columns.rows).toEqual(expect.arrayContaining([
        { column_name: 'sender_id', data_type: 'uuid' },
        { column_name: 'whatsapp_number', data_type: 'text' },
        { column_name: 'api_secret_sealed', data_type: 'text' },
        { column_name: 'auto_reply_enabled', data_type: 'boolean' },
        { column_name: 'created_at', data_type: 'timestamp with time zone' },
      ]));
      const unique = await sql<{ indexdef: string }>`select indexdef from pg_indexes where tablename = 'senders'`.execute(database.db);
      expect(unique.rows.some((row) => /UNIQUE.*whatsapp_number/.test(row.indexdef))).toBe(true);
    } finally {
      await database.cleanup();
    }
  });
});

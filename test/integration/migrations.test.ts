import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
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

  it.skipIf(kind === 'postgres' && !process.env.DATABASE_URL)('0006 moves the consent state onto the contact without losing any', async () => {
    const database = await createTestDatabase({ kind, migrate: false });
    try {
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo('0005_inbound')).error).toBeUndefined();
      const [granted, revoked, silent] = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
      await sql`insert into contacts (contact_id, whatsapp_number) values (${granted}, '+447911123001'), (${revoked}, '+447911123002'), (${silent}, '+447911123003')`.execute(database.db);
      await sql`insert into consent_events (contact_id, scope, granted, source) values (${granted}, 'MARKETING', true, 'api'), (${revoked}, 'UTILITY', false, 'keyword')`.execute(database.db);
      await sql`insert into contact_consents (contact_id, channel, scope, granted, consent_event_id, updated_at)
        select contact_id, 'whatsapp', scope, granted, consent_event_id, recorded_at from consent_events`.execute(database.db);

      expect(await migrateToLatest(database.db)).toContain('0006_consent_on_contacts');
      const state = await sql<{ contact_id: string; marketing_consent: boolean | null; utility_consent: boolean | null; marketing_at: boolean; utility_at: boolean }>`
        select contact_id, marketing_consent, utility_consent, marketing_consent_at is not null as marketing_at, utility_consent_at is not null as utility_at
        from contacts order by contact_id`.execute(database.db);
      expect(state.rows).toEqual([
        { contact_id: granted, marketing_consent: true, utility_consent: null, marketing_at: true, utility_at: false },
        { contact_id: revoked, marketing_consent: null, utility_consent: false, marketing_at: false, utility_at: true },
        { contact_id: silent, marketing_consent: null, utility_consent: null, marketing_at: false, utility_at: false },
      ]);
      const events = await sql<{ same: boolean }>`select effective_at = recorded_at as same from consent_events`.execute(database.db);
      expect(events.rows).toEqual([{ same: true }, { same: true }]);
      const foreignKeys = await sql`select conname from pg_constraint where conrelid = 'consent_events'::regclass and contype = 'f'`.execute(database.db);
      expect(foreignKeys.rows).toEqual([]);
    } finally {
      await database.cleanup();
    }
  });
});

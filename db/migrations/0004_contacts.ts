import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contacts')
    .addColumn('contact_id', 'uuid', (col) => col.primaryKey())
    .addColumn('whatsapp_number', 'text', (col) => col.unique())
    .addColumn('external_id', 'text', (col) => col.unique())
    .addColumn('display_name', 'text')
    .addColumn('locale', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('attributes', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('contacts_identified', sql`whatsapp_number is not null or external_id is not null`)
    .execute();

  // The ledger: append-only, in the order changes were made (consent_event_id).
  await db.schema
    .createTable('consent_events')
    .addColumn('consent_event_id', 'bigint', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('contact_id', 'uuid', (col) => col.notNull().references('contacts.contact_id').onDelete('restrict'))
    .addColumn('channel', 'text', (col) => col.notNull().defaultTo('whatsapp'))
    .addColumn('scope', 'text', (col) => col.notNull().check(sql`scope in ('MARKETING', 'UTILITY')`))
    .addColumn('granted', 'boolean', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('proof', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    // The moment of the insert, not of the transaction's start: a change that waited for the contact's lock is later.
    .addColumn('recorded_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema.createIndex('consent_events_contact').on('consent_events').columns(['contact_id', 'consent_event_id']).execute();
  await sql`
    create function consent_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'consent_events is append-only: record a new event instead';
    end $$`.execute(db);
  await sql`create trigger consent_events_no_change before update or delete on consent_events
    for each row execute function consent_events_append_only()`.execute(db);

  // The current state, written in the same transaction as each ledger record.
  await db.schema
    .createTable('contact_consents')
    .addColumn('contact_id', 'uuid', (col) => col.notNull().references('contacts.contact_id').onDelete('restrict'))
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('granted', 'boolean', (col) => col.notNull())
    .addColumn('consent_event_id', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addPrimaryKeyConstraint('contact_consents_pk', ['contact_id', 'channel', 'scope'])
    .execute();
  // "Every contact with marketing consent" is a keyset scan of this partial index, however many contacts there are.
  await db.schema.createIndex('contact_consents_granted').on('contact_consents').columns(['channel', 'scope', 'contact_id']).where(sql.ref('granted'), '=', true).execute();
}

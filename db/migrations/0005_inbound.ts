import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // What applying an event asked the engine to do (confirmation texts, auto-replies), done after commit.
  await db.schema.alterTable('webhook_events').addColumn('reactions', 'jsonb').execute();
  await db.schema.alterTable('webhook_events').addColumn('reactions_done_at', sql`timestamptz(3)`).execute();

  // Contacts first seen as an inbound message, never registered by the business: the seed's "not tracked".
  await db.schema.alterTable('contacts').addColumn('tracked', 'boolean', (col) => col.notNull().defaultTo(true)).execute();

  // The 24 h customer-service window, per business number and contact: free-form replies are allowed inside it.
  await db.schema
    .createTable('service_windows')
    .addColumn('sender_id', 'uuid', (col) => col.notNull())
    .addColumn('contact_id', 'uuid', (col) => col.notNull().references('contacts.contact_id').onDelete('restrict'))
    .addColumn('last_inbound_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addPrimaryKeyConstraint('service_windows_pk', ['sender_id', 'contact_id'])
    .execute();

  await db.schema
    .createTable('auto_replies')
    .addColumn('sender_id', 'uuid', (col) => col.notNull())
    .addColumn('contact_id', 'uuid', (col) => col.notNull().references('contacts.contact_id').onDelete('restrict'))
    .addColumn('last_sent_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addPrimaryKeyConstraint('auto_replies_pk', ['sender_id', 'contact_id'])
    .execute();
}

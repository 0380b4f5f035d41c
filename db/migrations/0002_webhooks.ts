import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every verified webhook, stored before it is answered; a replay has the same id and is ignored.
  await db.schema
    .createTable('webhook_events')
    .addColumn('event_id', 'text', (col) => col.primaryKey())
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('status', 'inbound')`))
    .addColumn('sender_id', 'uuid')
    .addColumn('message_uuid', 'text', (col) => col.notNull())
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('received_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('processed_at', sql`timestamptz(3)`)
    .execute();
  await db.schema.createIndex('webhook_events_unprocessed').on('webhook_events').column('received_at').where(sql.ref('processed_at'), 'is', null).execute();

  // The furthest status each sent message reached, whether or not its send record exists yet.
  await db.schema
    .createTable('message_statuses')
    .addColumn('message_uuid', 'text', (col) => col.primaryKey())
    .addColumn('client_ref', 'text')
    .addColumn('sender_id', 'uuid')
    .addColumn('recipient', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('status_rank', 'integer', (col) => col.notNull())
    .addColumn('status_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_detail', 'text')
    .addColumn('price', 'text')
    .addColumn('currency', 'text')
    .addColumn('conversation_origin', 'text')
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('message_statuses_client_ref').on('message_statuses').column('client_ref').execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('message_uuid', 'text', (col) => col.primaryKey())
    .addColumn('sender_id', 'uuid')
    .addColumn('from_number', 'text', (col) => col.notNull())
    .addColumn('message_type', 'text', (col) => col.notNull())
    .addColumn('text', 'text')
    .addColumn('button_payload', 'text')
    .addColumn('context_message_uuid', 'text')
    .addColumn('profile_name', 'text')
    .addColumn('sent_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addColumn('received_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('inbound_messages_from').on('inbound_messages').columns(['from_number', 'sent_at']).execute();
}

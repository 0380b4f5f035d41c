import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('campaign_id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('sender_id', 'uuid', (col) => col.notNull().references('senders.sender_id').onDelete('restrict'))
    .addColumn('template_id', 'uuid', (col) => col.notNull().references('templates.template_id').onDelete('restrict'))
    .addColumn('audience', 'jsonb', (col) => col.notNull())
    .addColumn('parameters', 'jsonb')
    .addColumn('schedule', 'jsonb', (col) => col.notNull())
    .addColumn('rate_per_second', 'integer')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('status_reason', 'text')
    // The final counts, written when the run ends; live progress is computed from the messages.
    .addColumn('counts', 'jsonb')
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('campaigns_created').on('campaigns').columns(['created_at', 'campaign_id']).execute();

  // The durable recipient list of a run, one row per (campaign, run, contact):
  // the unique key is what makes "one message per recipient" hold however often
  // a snapshot or a batch is retried. message_id is the client_ref Vonage echoes.
  await db.schema
    .createTable('campaign_messages')
    .addColumn('message_id', 'uuid', (col) => col.primaryKey())
    .addColumn('campaign_id', 'uuid', (col) => col.notNull().references('campaigns.campaign_id').onDelete('cascade'))
    .addColumn('run_key', 'text', (col) => col.notNull())
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addColumn('contact_id', 'uuid', (col) => col.notNull())
    .addColumn('recipient', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('reason', 'text')
    .addColumn('message_uuid', 'text')
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('claimed_at', sql`timestamptz(3)`)
    .addColumn('sent_at', sql`timestamptz(3)`)
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('campaign_messages_one_per_recipient', ['campaign_id', 'run_key', 'contact_id'])
    .addUniqueConstraint('campaign_messages_position', ['campaign_id', 'run_key', 'seq'])
    .execute();
  await db.schema.createIndex('campaign_messages_open').on('campaign_messages').columns(['campaign_id', 'run_key', 'state', 'seq']).execute();
}

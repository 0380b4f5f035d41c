import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('senders')
    .addColumn('sender_id', 'uuid', (col) => col.primaryKey())
    .addColumn('nickname', 'text', (col) => col.notNull())
    .addColumn('whatsapp_number', 'text', (col) => col.notNull().unique())
    .addColumn('api_key', 'text')
    .addColumn('api_secret_sealed', 'text')
    .addColumn('application_id', 'text')
    .addColumn('private_key_sealed', 'text')
    .addColumn('signature_secret_sealed', 'text')
    .addColumn('waba_id', 'text')
    .addColumn('portfolio_id', 'text')
    .addColumn('auto_reply_enabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('auto_reply_text', 'text')
    // Millisecond precision, like the JavaScript dates that list cursors carry.
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('senders_portfolio_id').on('senders').column('portfolio_id').execute();
}

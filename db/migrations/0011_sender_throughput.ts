import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Meta's messages per second for the number (80 by default, 1,000 once upgraded): every campaign of it shares them.
  await db.schema.alterTable('senders').addColumn('throughput_mps', 'integer', (col) => col.notNull().defaultTo(80)).execute();
  // A token bucket per number, shared by every worker process.
  await db.schema
    .createTable('sender_throughput')
    .addColumn('sender_id', 'uuid', (col) => col.primaryKey().references('senders.sender_id').onDelete('cascade'))
    .addColumn('tokens', 'double precision', (col) => col.notNull())
    .addColumn('refreshed_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
  // Held messages (quiet hours, retry back-off) are skipped by the batch query without reading past them one by one.
  await db.schema.createIndex('campaign_messages_due').on('campaign_messages').columns(['campaign_id', 'run_key', 'state', 'not_before', 'seq']).execute();
}

import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The governor's standing decision per portfolio: what every send of the portfolio may consume.
  await db.schema
    .createTable('portfolio_quotas')
    .addColumn('portfolio_id', 'text', (col) => col.primaryKey())
    .addColumn('messaging_limit', 'integer') // null: unlimited
    .addColumn('allowance', 'integer') // null: no cap beyond an unlimited limit
    .addColumn('sending_allowed', 'boolean', (col) => col.notNull())
    .addColumn('reason', 'text')
    .addColumn('window_ms', 'integer', (col) => col.notNull())
    .addColumn('service_window_ms', 'integer', (col) => col.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    // The allowance can never exceed Meta's limit, whatever the governor computes.
    .addCheckConstraint('portfolio_quotas_within_limit', sql`messaging_limit is null or (allowance is not null and allowance <= messaging_limit)`)
    .execute();

  // Every send the limit counts (outside a service window), by recipient number and time:
  // the distinct numbers in the trailing window are the portfolio's usage.
  await db.schema
    .createTable('quota_ledger')
    .addColumn('portfolio_id', 'text', (col) => col.notNull())
    .addColumn('recipient', 'text', (col) => col.notNull())
    .addColumn('sender_id', 'uuid')
    .addColumn('consumer', 'text', (col) => col.notNull())
    .addColumn('counted_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('quota_ledger_window').on('quota_ledger').columns(['portfolio_id', 'counted_at']).execute();
  await db.schema.createIndex('quota_ledger_recipient').on('quota_ledger').columns(['portfolio_id', 'recipient', 'counted_at']).execute();
}

import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The governor's view of the portfolio at its last tick (quality, distinct recipients in the window), for
  // metrics and the dashboard beside its limit and allowance: read without scanning the ledger.
  await db.schema.alterTable('portfolio_quotas')
    .addColumn('quality', 'text')
    .addColumn('used_in_window', 'integer')
    .addColumn('used_measured_at', sql`timestamptz(3)`)
    .execute();
}

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The governor's view of the portfolio's quality, for metrics and the dashboard beside its limit and allowance.
  await db.schema.alterTable('portfolio_quotas').addColumn('quality', 'text').execute();
}

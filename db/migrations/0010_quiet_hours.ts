import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('campaigns').addColumn('quiet_hours', 'jsonb').execute();
  // A message held by the recipient's quiet hours is not looked at again before this time.
  await db.schema.alterTable('campaign_messages').addColumn('not_before', sql`timestamptz(3)`).execute();
}

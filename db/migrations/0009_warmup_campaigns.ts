import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A warm-up campaign orders its audience by engagement and is paced by its portfolio's governor.
  await db.schema.alterTable('campaigns').addColumn('warmup', 'boolean', (col) => col.notNull().defaultTo(false)).execute();
}

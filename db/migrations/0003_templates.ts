import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('templates')
    .addColumn('template_id', 'uuid', (col) => col.primaryKey())
    // A sender cannot be deleted while its templates exist.
    .addColumn('sender_id', 'uuid', (col) => col.notNull().references('senders.sender_id').onDelete('restrict'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('namespace', 'text')
    .addColumn('language', 'text', (col) => col.notNull())
    .addColumn('category', 'text', (col) => col.notNull())
    /** body, header, footer, buttons as the API took them. */
    .addColumn('content', 'jsonb', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('DRAFT'))
    .addColumn('status_reason', 'text')
    .addColumn('status_updated_at', sql`timestamptz(3)`)
    .addColumn('provider_template_id', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('templates_sender_name_language', ['sender_id', 'name', 'language'])
    .execute();
  await db.schema.createIndex('templates_status').on('templates').column('status').execute();
  await db.schema.createIndex('templates_provider_template_id').on('templates').column('provider_template_id').execute();
}

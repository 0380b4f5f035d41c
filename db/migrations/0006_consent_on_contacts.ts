import { type Kysely, sql } from 'kysely';

// The derived consent state moves onto the contact row. A separate state table
// cost a second foreign-keyed, doubly indexed insert per scope on every consent
// change (two thirds of a bulk import's database time); on the contact it is
// written by the same statement that upserts the contact, and the campaigns'
// audience ("consented contacts matching these attributes") reads one table.
// Each scope also keeps the moment its state was expressed, so a late-applied
// older statement (a delayed START after a STOP) is recorded but does not win.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const scope of ['marketing', 'utility']) {
    await db.schema.alterTable('contacts').addColumn(`${scope}_consent`, 'boolean').execute();
    await db.schema.alterTable('contacts').addColumn(`${scope}_consent_at`, sql`timestamptz(3)`).execute();
  }
  // When the person expressed the change (the inbound message's time, the provider's event time); recorded_at is when we stored it.
  await db.schema.alterTable('consent_events').addColumn('effective_at', sql`timestamptz(3)`).execute();
  // The ledger refuses updates; a new column's backfill is the one sanctioned exception.
  await sql`alter table consent_events disable trigger consent_events_no_change`.execute(db);
  await sql`update consent_events set effective_at = recorded_at`.execute(db);
  await sql`alter table consent_events enable trigger consent_events_no_change`.execute(db);
  await sql`alter table consent_events alter column effective_at set default clock_timestamp(), alter column effective_at set not null`.execute(db);

  await sql`
    update contacts c set
      marketing_consent = m.granted, marketing_consent_at = m.updated_at,
      utility_consent = u.granted, utility_consent_at = u.updated_at
    from contacts c2
    left join contact_consents m on m.contact_id = c2.contact_id and m.channel = 'whatsapp' and m.scope = 'MARKETING'
    left join contact_consents u on u.contact_id = c2.contact_id and u.channel = 'whatsapp' and u.scope = 'UTILITY'
    where c.contact_id = c2.contact_id and (m.contact_id is not null or u.contact_id is not null)`.execute(db);
  await db.schema.dropTable('contact_consents').execute();

  // The ledger's foreign key goes too. Its check locked the contact row once per
  // record (FOR KEY SHARE, a heap write each time): 65% of an import's ledger
  // cost. Every record is written in the transaction that holds the contact's
  // row lock (or has just inserted it), contacts are never deleted, and a
  // ledger must outlive its contact anyway: proof of a withdrawal is kept after
  // the person is erased.
  await sql`alter table consent_events drop constraint if exists consent_events_contact_id_fkey`.execute(db);

  // "Every contact with marketing consent" stays a keyset scan of a partial index, however many contacts there are.
  await db.schema.createIndex('contacts_marketing_consented').on('contacts').column('contact_id').where(sql.ref('marketing_consent'), '=', true).execute();
  await db.schema.createIndex('contacts_utility_consented').on('contacts').column('contact_id').where(sql.ref('utility_consent'), '=', true).execute();
}

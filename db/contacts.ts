// Contacts and their consent. Every consent change appends to the ledger
// (consent_events) and rewrites the derived state (contact_consents) in the
// same transaction, under a lock on the contact, so the two can never disagree
// and concurrent changes to one contact apply one after the other.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { consentScopes, type ConsentChange, type ConsentEvent, type ConsentScope } from '../domain/consent.ts';
import type { Contact, UpsertContact } from '../domain/contact.ts';
import { normaliseWhatsAppNumber } from '../domain/phone-number.ts';
import { ConflictProblem, NotFoundProblem } from '../domain/problems.ts';
import type { Db } from './database.ts';
import type { ContactRow, Database } from './schema.ts';
import { hasCode, UNIQUE_VIOLATION } from './sql-errors.ts';

type Executor = Db | Transaction<Database>;

const CHANNEL = 'whatsapp';

async function consentState(db: Executor, contactIds: string[]): Promise<Map<string, Record<ConsentScope, boolean>>> {
  const state = new Map(contactIds.map((id) => [id, Object.fromEntries(consentScopes.map((s) => [s, false])) as Record<ConsentScope, boolean>]));
  if (contactIds.length === 0) return state;
  const rows = await db.selectFrom('contact_consents').select(['contact_id', 'scope', 'granted']).where('channel', '=', CHANNEL).where('contact_id', 'in', contactIds).execute();
  for (const row of rows) state.get(row.contact_id)![row.scope] = row.granted;
  return state;
}

function toContact(row: ContactRow, consent: Record<ConsentScope, boolean>): Contact {
  return {
    contactId: row.contact_id,
    whatsappNumber: row.whatsapp_number,
    externalId: row.external_id,
    displayName: row.display_name,
    locale: row.locale,
    timeZone: row.time_zone,
    attributes: row.attributes,
    consent,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Appends one change to the ledger and brings the derived state in line. The caller holds the contact's lock. */
export async function appendConsent(trx: Transaction<Database>, contactId: string, change: ConsentChange): Promise<void> {
  const event = await trx
    .insertInto('consent_events')
    .values({ contact_id: contactId, scope: change.scope, granted: change.granted, source: change.source, proof: change.proof ?? null, ip: change.ip ?? null, user_agent: change.userAgent ?? null })
    .returning(['consent_event_id', 'recorded_at'])
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('contact_consents')
    .values({ contact_id: contactId, channel: CHANNEL, scope: change.scope, granted: change.granted, consent_event_id: event.consent_event_id, updated_at: event.recorded_at })
    .onConflict((oc) => oc.columns(['contact_id', 'channel', 'scope']).doUpdateSet({ granted: change.granted, consent_event_id: event.consent_event_id, updated_at: event.recorded_at }))
    .execute();
}

/** The contact behind an inbound number, created untracked and without consent if new. Locked for the transaction. */
export async function contactForInbound(trx: Transaction<Database>, e164: string, displayName: string | null): Promise<ContactRow> {
  const now = new Date();
  // Two first messages from one number at once: the second waits for the first's row instead of failing.
  await trx.insertInto('contacts').values({
    contact_id: randomUUID(), whatsapp_number: e164, display_name: displayName, tracked: false, created_at: now, updated_at: now,
  }).onConflict((oc) => oc.column('whatsapp_number').doNothing()).execute();
  return trx.selectFrom('contacts').selectAll().where('whatsapp_number', '=', e164).forUpdate().executeTakeFirstOrThrow();
}

export class ContactsRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Creates or updates the contact matched by number, else by external id, and
   * applies the consent changes, all in one transaction.
   */
  async upsert(input: UpsertContact, consent: ConsentChange[] = []): Promise<{ contact: Contact; created: boolean }> {
    try {
      return await this.#upsertOnce(input, consent);
    } catch (error) {
      // Two first sightings of one number at once: the loser finds the winner's row on a second try.
      if (!hasCode(error, UNIQUE_VIOLATION)) throw error;
      return this.#upsertOnce(input, consent);
    }
  }

  async #upsertOnce(input: UpsertContact, consent: ConsentChange[]): Promise<{ contact: Contact; created: boolean }> {
    const number = input.whatsappNumber === undefined ? undefined : normaliseWhatsAppNumber(input.whatsappNumber) ?? null;
    return this.#db.transaction().execute(async (trx) => {
      const byNumber = number ? await trx.selectFrom('contacts').selectAll().where('whatsapp_number', '=', number).forUpdate().executeTakeFirst() : undefined;
      const byExternal = input.externalId ? await trx.selectFrom('contacts').selectAll().where('external_id', '=', input.externalId).forUpdate().executeTakeFirst() : undefined;
      if (byNumber && byExternal && byNumber.contact_id !== byExternal.contact_id) {
        throw new ConflictProblem('The number and the external id belong to two different contacts.', [
          { field: 'whatsappNumber', message: `belongs to contact ${byNumber.contact_id}` },
          { field: 'externalId', message: `belongs to contact ${byExternal.contact_id}` },
        ]);
      }
      if (byNumber?.external_id && input.externalId && byNumber.external_id !== input.externalId) {
        // Not a silent merge: the number's contact is someone else's record in the business's own system.
        throw new ConflictProblem(`The number belongs to contact ${byNumber.contact_id}, whose external id is ${byNumber.external_id}.`, [
          { field: 'externalId', message: `differs from the external id of the contact with this number (${byNumber.external_id})` },
        ]);
      }
      const existing = byNumber ?? byExternal;
      const now = new Date();
      let row: ContactRow;
      if (existing) {
        row = await trx.updateTable('contacts').set({
          ...(number ? { whatsapp_number: number } : {}),
          ...(input.externalId ? { external_id: input.externalId } : {}),
          ...(input.displayName !== undefined ? { display_name: input.displayName } : {}),
          ...(input.locale !== undefined ? { locale: input.locale } : {}),
          ...(input.timeZone !== undefined ? { time_zone: input.timeZone } : {}),
          // Attributes merge: a profile push names only the properties it changes.
          ...(input.attributes ? { attributes: sql<string>`attributes || ${JSON.stringify(input.attributes)}::jsonb` } : {}),
          // Registered by the business now, whatever the first inbound message made of it.
          tracked: true,
          updated_at: now,
        }).where('contact_id', '=', existing.contact_id).returningAll().executeTakeFirstOrThrow();
      } else {
        row = await trx.insertInto('contacts').values({
          contact_id: randomUUID(),
          whatsapp_number: number ?? null,
          external_id: input.externalId ?? null,
          display_name: input.displayName ?? null,
          locale: input.locale ?? null,
          time_zone: input.timeZone ?? null,
          attributes: JSON.stringify(input.attributes ?? {}),
          created_at: now,
          updated_at: now,
        }).returningAll().executeTakeFirstOrThrow();
      }
      for (const change of consent) await appendConsent(trx, row.contact_id, change);
      const state = await consentState(trx, [row.contact_id]);
      return { contact: toContact(row, state.get(row.contact_id)!), created: !existing };
    });
  }

  async get(contactId: string): Promise<Contact> {
    const row = await this.#db.selectFrom('contacts').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
    if (!row) throw new NotFoundProblem('Contact', contactId);
    return toContact(row, (await consentState(this.#db, [contactId])).get(contactId)!);
  }

  async findIdByNumber(e164: string): Promise<string | undefined> {
    return (await this.#db.selectFrom('contacts').select('contact_id').where('whatsapp_number', '=', e164).executeTakeFirst())?.contact_id;
  }

  /** Records a consent change for an existing contact (opt-out by API, keyword, provider preference…). */
  async recordConsent(contactId: string, changes: ConsentChange[]): Promise<Contact> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('contacts').selectAll().where('contact_id', '=', contactId).forUpdate().executeTakeFirst();
      if (!row) throw new NotFoundProblem('Contact', contactId);
      for (const change of changes) await appendConsent(trx, contactId, change);
      return toContact(row, (await consentState(trx, [contactId])).get(contactId)!);
    });
  }

  /** A consent change reported by the provider: for an existing contact, or one created for it (untracked). */
  async upsertFromProvider(e164: string, change: ConsentChange): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const contact = await contactForInbound(trx, e164, null);
      await appendConsent(trx, contact.contact_id, change);
    });
  }

  /** The ledger for one contact, oldest first. */
  async consentHistory(contactId: string): Promise<ConsentEvent[]> {
    await this.get(contactId);
    const rows = await this.#db.selectFrom('consent_events').selectAll().where('contact_id', '=', contactId).orderBy('consent_event_id').execute();
    return rows.map((row) => ({
      consentEventId: String(row.consent_event_id),
      channel: 'whatsapp' as const,
      scope: row.scope,
      granted: row.granted,
      source: row.source,
      proof: row.proof,
      ip: row.ip,
      userAgent: row.user_agent,
      recordedAt: row.recorded_at.toISOString(),
    }));
  }

  /** Contacts whose consent for the scope is granted, in contact id order, a page at a time (keyset on the partial index). */
  async consentedContactIds(scope: ConsentScope, limit: number, afterContactId?: string): Promise<string[]> {
    let query = this.#db.selectFrom('contact_consents').select('contact_id')
      .where('channel', '=', CHANNEL).where('scope', '=', scope).where('granted', '=', true)
      .orderBy('contact_id').limit(limit);
    if (afterContactId) query = query.where('contact_id', '>', afterContactId);
    return (await query.execute()).map((row) => row.contact_id);
  }
}

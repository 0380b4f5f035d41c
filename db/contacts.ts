// Contacts and their consent. Every consent change appends to the ledger
// (consent_events) and moves the derived state on the contact row in the same
// transaction, under a lock on the contact, so the two can never disagree and
// concurrent changes to one contact apply one after the other. A withdrawal
// always takes effect; a grant only if it was made (effective_at) no earlier
// than the statement holding the state, so a START delivered late, after a
// newer STOP, is kept in the ledger without re-opening consent.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { consentScopes, type ConsentChange, type ConsentEvent, type ConsentScope, type ConsentSource } from '../domain/consent.ts';
import type { Contact, UpsertContact } from '../domain/contact.ts';
import { normaliseWhatsAppNumber } from '../domain/phone-number.ts';
import { ConflictProblem, NotFoundProblem } from '../domain/problems.ts';
import type { Db } from './database.ts';
import type { ContactRow, Database } from './schema.ts';
import { hasCode, UNIQUE_VIOLATION } from './sql-errors.ts';

/** The contact columns holding each scope's state and the moment it was expressed. */
export const consentColumns = {
  MARKETING: { state: 'marketing_consent', at: 'marketing_consent_at' },
  UTILITY: { state: 'utility_consent', at: 'utility_consent_at' },
} as const satisfies Record<ConsentScope, { state: keyof ContactRow; at: keyof ContactRow }>;

const currentConsent = (row: ContactRow): Record<ConsentScope, boolean> =>
  Object.fromEntries(consentScopes.map((scope) => [scope, row[consentColumns[scope].state] === true])) as Record<ConsentScope, boolean>;

function toContact(row: ContactRow): Contact {
  return {
    contactId: row.contact_id,
    whatsappNumber: row.whatsapp_number,
    externalId: row.external_id,
    displayName: row.display_name,
    locale: row.locale,
    timeZone: row.time_zone,
    attributes: row.attributes,
    consent: currentConsent(row),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Appends one change to the ledger and brings the derived state in line (a grant only if newer than the state). The caller holds the contact's lock. */
export async function appendConsent(trx: Transaction<Database>, contactId: string, change: ConsentChange): Promise<void> {
  const event = await trx
    .insertInto('consent_events')
    .values({
      contact_id: contactId, scope: change.scope, granted: change.granted, source: change.source,
      proof: change.proof ?? null, ip: change.ip ?? null, user_agent: change.userAgent ?? null,
      // Never in the future (a skewed provider clock would otherwise pin the state against every later change).
      ...(change.effectiveAt ? { effective_at: sql<Date>`least(${change.effectiveAt}::timestamptz, clock_timestamp())` } : {}),
    })
    .returning('effective_at')
    .executeTakeFirstOrThrow();
  const { state, at } = consentColumns[change.scope];
  await trx.updateTable('contacts')
    // A withdrawal applied late keeps the newer time: an older grant arriving after it must still lose to the newest statement.
    .set({ [state]: change.granted, [at]: change.granted ? sql<Date>`${event.effective_at}::timestamptz` : sql<Date>`greatest(${sql.ref(at)}, ${event.effective_at}::timestamptz)` })
    .where('contact_id', '=', contactId)
    // A withdrawal always applies (erring towards not messaging is the lawful side); a grant only if no newer statement holds the state.
    .where((eb) => change.granted ? eb.or([eb(at, 'is', null), eb(at, '<=', event.effective_at)]) : eb.lit(true))
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

/**
 * A contact whose WhatsApp number changes may now be someone else (numbers are
 * recycled): consent given for the old number is revoked in the ledger, and the
 * same request may grant it again for the new one.
 */
async function revokeForNumberChange(trx: Transaction<Database>, row: ContactRow, newNumber: string, source: ConsentSource): Promise<void> {
  for (const scope of consentScopes) {
    if (row[consentColumns[scope].state] !== true) continue;
    await appendConsent(trx, row.contact_id, {
      scope, granted: false, source,
      proof: `WhatsApp number changed from ${row.whatsapp_number} to ${newNumber}: consent given for the old number does not carry over`,
    });
  }
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
  async upsert(input: UpsertContact, consent: ConsentChange[] = [], source: ConsentSource = 'api'): Promise<{ contact: Contact; created: boolean }> {
    try {
      return await this.#upsertOnce(input, consent, source);
    } catch (error) {
      // Two first sightings of one number at once: the loser finds the winner's row on a second try.
      if (!hasCode(error, UNIQUE_VIOLATION)) throw error;
      return this.#upsertOnce(input, consent, source);
    }
  }

  async #upsertOnce(input: UpsertContact, consent: ConsentChange[], source: ConsentSource): Promise<{ contact: Contact; created: boolean }> {
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
        if (number && existing.whatsapp_number && existing.whatsapp_number !== number) await revokeForNumberChange(trx, existing, number, source);
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
      if (consent.length > 0) row = await trx.selectFrom('contacts').selectAll().where('contact_id', '=', row.contact_id).executeTakeFirstOrThrow();
      return { contact: toContact(row), created: !existing };
    });
  }

  async get(contactId: string): Promise<Contact> {
    const row = await this.#db.selectFrom('contacts').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
    if (!row) throw new NotFoundProblem('Contact', contactId);
    return toContact(row);
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
      return toContact(await trx.selectFrom('contacts').selectAll().where('contact_id', '=', contactId).executeTakeFirstOrThrow());
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
      effectiveAt: row.effective_at.toISOString(),
      recordedAt: row.recorded_at.toISOString(),
    }));
  }

  /** Contacts whose consent for the scope is granted, in contact id order, a page at a time (keyset on the partial index). */
  async consentedContactIds(scope: ConsentScope, limit: number, afterContactId?: string): Promise<string[]> {
    let query = this.#db.selectFrom('contacts').select('contact_id')
      .where(consentColumns[scope].state, '=', true)
      .orderBy('contact_id').limit(limit);
    if (afterContactId) query = query.where('contact_id', '>', afterContactId);
    return (await query.execute()).map((row) => row.contact_id);
  }
}

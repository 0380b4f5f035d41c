// Bulk contact import, a batch at a time. The fast path upserts the whole
// batch set-wise in one transaction (contacts, then the consent ledger and the
// derived state); if anything in the batch is refused by the database (a
// number twice in one batch, an external id owned by another contact…) the
// batch is replayed row by row, so each row is applied or reported on its own.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { ConsentScope } from '../domain/consent.ts';
import type { ImportedRow } from '../domain/contact-import.ts';
import { normaliseWhatsAppNumber } from '../domain/phone-number.ts';
import { Problem, type FieldError } from '../domain/problems.ts';
import { ContactsRepository } from './contacts.ts';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

export interface NumberedRow {
  row: number;
  data: ImportedRow;
}

export interface BatchOutcome {
  created: number;
  updated: number;
  errors: { row: number; errors: FieldError[] }[];
}

const CHANNEL = 'whatsapp';

export class ContactImporter {
  readonly #db: Db;
  readonly #contacts: ContactsRepository;
  readonly #scopes: ConsentScope[];
  readonly #proof: string | null;

  constructor(db: Db, scopes: ConsentScope[], proof: string | undefined) {
    this.#db = db;
    this.#contacts = new ContactsRepository(db);
    this.#scopes = scopes;
    this.#proof = proof ?? null;
  }

  async importBatch(rows: NumberedRow[]): Promise<BatchOutcome> {
    if (rows.length === 0) return { created: 0, updated: 0, errors: [] };
    try {
      return await this.#db.transaction().execute((trx) => this.#setWise(trx, rows));
    } catch {
      return this.#rowByRow(rows);
    }
  }

  async #setWise(trx: Transaction<Database>, rows: NumberedRow[]): Promise<BatchOutcome> {
    const now = new Date();
    const values = rows.map(({ data: { contact } }) => ({
      contact_id: randomUUID(),
      whatsapp_number: contact.whatsappNumber ? normaliseWhatsAppNumber(contact.whatsappNumber)! : null,
      external_id: contact.externalId ?? null,
      display_name: contact.displayName ?? null,
      locale: contact.locale ?? null,
      time_zone: contact.timeZone ?? null,
      attributes: JSON.stringify(contact.attributes ?? {}),
      tracked: true,
      created_at: now,
      updated_at: now,
    }));
    const merge = {
      external_id: sql<string | null>`coalesce(excluded.external_id, contacts.external_id)`,
      display_name: sql<string | null>`coalesce(excluded.display_name, contacts.display_name)`,
      locale: sql<string | null>`coalesce(excluded.locale, contacts.locale)`,
      time_zone: sql<string | null>`coalesce(excluded.time_zone, contacts.time_zone)`,
      attributes: sql<string>`contacts.attributes || excluded.attributes`,
      tracked: true,
      updated_at: now,
    };
    const byNumber = values.filter((v) => v.whatsapp_number !== null);
    const byExternal = values.filter((v) => v.whatsapp_number === null);
    const upserted: { contact_id: string; whatsapp_number: string | null; external_id: string | null; inserted: boolean }[] = [];
    const returning = ['contact_id', 'whatsapp_number', 'external_id', sql<boolean>`(xmax = 0)`.as('inserted')] as const;
    if (byNumber.length > 0) {
      upserted.push(...await trx.insertInto('contacts').values(byNumber)
        .onConflict((oc) => oc.column('whatsapp_number').doUpdateSet(merge)).returning(returning).execute());
    }
    if (byExternal.length > 0) {
      upserted.push(...await trx.insertInto('contacts').values(byExternal)
        .onConflict((oc) => oc.column('external_id').doUpdateSet({ ...merge, external_id: sql<string>`excluded.external_id` })).returning(returning).execute());
    }
    const idOf = new Map(upserted.flatMap((r) => [[`n:${r.whatsapp_number}`, r.contact_id], [`e:${r.external_id}`, r.contact_id]] as [string, string][]));

    const consentEvents = rows.flatMap(({ data }, i) => {
      if (data.consent === undefined) return [];
      const value = values[i]!;
      const contactId = value.whatsapp_number ? idOf.get(`n:${value.whatsapp_number}`) : idOf.get(`e:${value.external_id}`);
      return this.#scopes.map((scope) => ({ contact_id: contactId!, scope, granted: data.consent!, source: 'import' as const, proof: this.#proof, ip: null, user_agent: null }));
    });
    if (consentEvents.length > 0) {
      // The contact rows are locked by the upsert above until commit: ledger and state move together.
      const events = await trx.insertInto('consent_events').values(consentEvents).returning(['consent_event_id', 'contact_id', 'scope', 'granted', 'recorded_at']).execute();
      await trx.insertInto('contact_consents')
        .values(events.map((e) => ({ contact_id: e.contact_id, channel: CHANNEL, scope: e.scope, granted: e.granted, consent_event_id: e.consent_event_id, updated_at: e.recorded_at })))
        .onConflict((oc) => oc.columns(['contact_id', 'channel', 'scope']).doUpdateSet({
          granted: sql<boolean>`excluded.granted`, consent_event_id: sql<string>`excluded.consent_event_id`, updated_at: sql<Date>`excluded.updated_at`,
        }))
        .execute();
    }
    const created = upserted.filter((r) => r.inserted).length;
    return { created, updated: upserted.length - created, errors: [] };
  }

  async #rowByRow(rows: NumberedRow[]): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { created: 0, updated: 0, errors: [] };
    for (const { row, data } of rows) {
      try {
        const consent = data.consent === undefined ? [] : this.#scopes.map((scope) => ({ scope, granted: data.consent!, source: 'import' as const, ...(this.#proof ? { proof: this.#proof } : {}) }));
        const { created } = await this.#contacts.upsert(data.contact, consent);
        if (created) outcome.created++;
        else outcome.updated++;
      } catch (error) {
        // A row the rules refuse is reported; a database that is down fails the import instead of every row.
        if (!(error instanceof Problem) || error.status >= 500) throw error;
        outcome.errors.push({ row, errors: error.errors ?? [{ field: 'row', message: error.message }] });
      }
    }
    return outcome;
  }
}

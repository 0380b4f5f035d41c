// Bulk contact import, a batch at a time. The fast path upserts the whole
// batch set-wise in one transaction (contacts with their consent state, then the
// consent ledger); if anything in the batch is refused by the database (a
// number twice in one batch, an external id owned by another contact…) the
// batch is replayed row by row, so each row is applied or reported on its own.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { consentScopes, type ConsentScope } from '../domain/consent.ts';
import type { ImportedRow } from '../domain/contact-import.ts';
import { Problem, type FieldError } from '../domain/problems.ts';
import { consentColumns, ContactsRepository } from './contacts.ts';
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
  /** Whether the database refused the set-wise write and the batch was applied row by row. */
  replayed: boolean;
}

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
    if (rows.length === 0) return { created: 0, updated: 0, errors: [], replayed: false };
    try {
      return await this.#db.transaction().execute((trx) => this.#setWise(trx, rows));
    } catch {
      return { ...(await this.#rowByRow(rows)), replayed: true };
    }
  }

  /**
   * The whole batch in two or three statements whose parameters are arrays
   * (unnest): a fixed number of parameters however many rows. The contact
   * upsert writes the consent state too (by appendConsent's rules); the ledger
   * records follow for the contacts it returned.
   */
  async #setWise(trx: Transaction<Database>, rows: NumberedRow[]): Promise<BatchOutcome> {
    const now = new Date();
    const columns = { id: [] as string[], number: [] as (string | null)[], external: [] as (string | null)[], name: [] as (string | null)[], locale: [] as (string | null)[], zone: [] as (string | null)[], attributes: [] as string[], consent: [] as (boolean | null)[] };
    for (const { data: { contact, consent } } of rows) {
      columns.id.push(randomUUID());
      columns.number.push(contact.whatsappNumber ?? null); // already E.164 (importRow normalised it)
      columns.external.push(contact.externalId ?? null);
      columns.name.push(contact.displayName ?? null);
      columns.locale.push(contact.locale ?? null);
      columns.zone.push(contact.timeZone ?? null);
      columns.attributes.push(JSON.stringify(contact.attributes ?? {}));
      columns.consent.push(consent ?? null);
    }
    // Per scope the import covers: the row's statement where it makes one and appendConsent's rules let it apply.
    const consentSet = consentScopes.filter((scope) => this.#scopes.includes(scope)).map((scope) => {
      const [state, at] = [sql.ref(consentColumns[scope].state), sql.ref(consentColumns[scope].at)];
      // A withdrawal always applies; a grant only if no newer statement holds the state.
      const applies = sql`excluded.${state} is not null and (not excluded.${state} or contacts.${at} is null or contacts.${at} <= excluded.${at})`;
      return sql`, ${state} = case when ${applies} then excluded.${state} else contacts.${state} end,
                  ${at} = case when not ${applies} then contacts.${at} when excluded.${state} then excluded.${at} else greatest(contacts.${at}, excluded.${at}) end`;
    });
    const stateColumns = sql.join(this.#scopes.flatMap((s) => [sql.ref(consentColumns[s].state), sql.ref(consentColumns[s].at)]));
    // Consent times come from the database's clock, as appendConsent's do, so statements from every path compare fairly.
    const stateValues = sql.join(this.#scopes.flatMap(() => [sql`given`, sql`case when given is null then null else now() end`]));
    const upsert = (conflictColumn: 'whatsapp_number' | 'external_id', keyed: boolean[]) => {
      const pick = <T>(values: T[]) => values.filter((_, i) => keyed[i]);
      return sql<{ contact_id: string; whatsapp_number: string | null; external_id: string | null; inserted: boolean }>`
        insert into contacts (contact_id, whatsapp_number, external_id, display_name, locale, time_zone, attributes, tracked, created_at, updated_at, ${stateColumns})
        select id, num, ext, name, loc, zone, attrs::jsonb, true, ${now}, ${now}, ${stateValues}
        from unnest(${pick(columns.id)}::uuid[], ${pick(columns.number)}::text[], ${pick(columns.external)}::text[], ${pick(columns.name)}::text[],
                    ${pick(columns.locale)}::text[], ${pick(columns.zone)}::text[], ${pick(columns.attributes)}::text[], ${pick(columns.consent)}::boolean[])
             as t(id, num, ext, name, loc, zone, attrs, given)
        on conflict (${sql.ref(conflictColumn)}) do update set
          whatsapp_number = coalesce(excluded.whatsapp_number, contacts.whatsapp_number),
          external_id = coalesce(excluded.external_id, contacts.external_id),
          display_name = coalesce(excluded.display_name, contacts.display_name),
          locale = coalesce(excluded.locale, contacts.locale),
          time_zone = coalesce(excluded.time_zone, contacts.time_zone),
          attributes = contacts.attributes || excluded.attributes,
          tracked = true,
          updated_at = excluded.updated_at
          ${sql.join(consentSet, sql``)}
        ${conflictColumn === 'whatsapp_number'
          // A contact found by number but carrying another external id is the row-by-row path's business (a conflict).
          ? sql`where contacts.external_id is null or excluded.external_id is null or contacts.external_id = excluded.external_id`
          : sql`where contacts.whatsapp_number is null`}
        returning contact_id, whatsapp_number, external_id, (xmax = 0) as inserted`.execute(trx);
    };
    const hasNumber = columns.number.map((n) => n !== null);
    const upserted = [
      ...(hasNumber.some(Boolean) ? (await upsert('whatsapp_number', hasNumber)).rows : []),
      ...(hasNumber.some((h) => !h) ? (await upsert('external_id', hasNumber.map((h) => !h))).rows : []),
    ];
    // A row the guards above skipped: the batch is not set-wise material; replay it row by row.
    if (upserted.length < rows.length) throw new Error('batch needs the row-by-row path');
    const idOf = new Map(upserted.flatMap((r) => [[`n:${r.whatsapp_number}`, r.contact_id], [`e:${r.external_id}`, r.contact_id]] as [string, string][]));

    const ledger = { contact: [] as string[], scope: [] as string[], granted: [] as boolean[] };
    columns.consent.forEach((granted, i) => {
      if (granted === null) return;
      const contactId = columns.number[i] ? idOf.get(`n:${columns.number[i]}`) : idOf.get(`e:${columns.external[i]}`);
      for (const scope of this.#scopes) {
        ledger.contact.push(contactId!);
        ledger.scope.push(scope);
        ledger.granted.push(granted);
      }
    });
    if (ledger.contact.length > 0) {
      // The contact rows are locked by the upsert above until commit: the ledger and the state commit together.
      await sql`
        insert into consent_events (contact_id, scope, granted, source, proof, effective_at)
        select contact, scope, granted, 'import', ${this.#proof}, now()
        from unnest(${ledger.contact}::uuid[], ${ledger.scope}::text[], ${ledger.granted}::boolean[]) as t(contact, scope, granted)`.execute(trx);
    }
    const created = upserted.filter((r) => r.inserted).length;
    return { created, updated: upserted.length - created, errors: [], replayed: false };
  }

  async #rowByRow(rows: NumberedRow[]): Promise<Omit<BatchOutcome, 'replayed'>> {
    const outcome: Omit<BatchOutcome, 'replayed'> = { created: 0, updated: 0, errors: [] };
    for (const { row, data } of rows) {
      try {
        const consent = data.consent === undefined ? [] : this.#scopes.map((scope) => ({ scope, granted: data.consent!, source: 'import' as const, ...(this.#proof ? { proof: this.#proof } : {}) }));
        const { created } = await this.#contacts.upsert(data.contact, consent, 'import');
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

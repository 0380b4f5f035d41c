// Contacts and the consent ledger: upserts, opt-out by API and by profile push,
// the ledger is append-only and the derived state never disagrees with it.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../db/contacts.ts';
import { useApiFixture } from '../helpers/api.ts';

const fixture = useApiFixture();
let next = 100;
const number = () => `+447911123${String(next++).padStart(3, '0')}`;
const post = (url: string, payload: object) => fixture.api.request({ method: 'POST', url, payload });
const get = (url: string) => fixture.api.request({ method: 'GET', url });

describe('contacts', () => {
  it('creates, then updates the same contact by number or external id, merging attributes', async () => {
    const phone = number();
    const created = await post('/v1/contacts', { whatsappNumber: phone.replace('+44', '0044 '), displayName: 'Ana', locale: 'pt_BR', timeZone: 'Europe/Lisbon', attributes: { plan: 'gold' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ whatsappNumber: phone, displayName: 'Ana', consent: { MARKETING: false, UTILITY: false } });
    const id = created.json().contactId;
    const byNumber = await post('/v1/contacts', { whatsappNumber: phone, externalId: 'crm-1', attributes: { city: 'Porto' } });
    expect(byNumber.statusCode).toBe(200);
    expect(byNumber.json()).toMatchObject({ contactId: id, externalId: 'crm-1', attributes: { plan: 'gold', city: 'Porto' } });
    const byExternal = await post('/v1/contacts', { externalId: 'crm-1', displayName: 'Ana Silva' });
    expect(byExternal.json()).toMatchObject({ contactId: id, displayName: 'Ana Silva', whatsappNumber: phone });
  });

  it.each<[string, object, string[]]>([
    ['no identity', { displayName: 'x' }, ['whatsappNumber']],
    ['an invalid number', { whatsappNumber: '12' }, ['whatsappNumber']],
    ['an unknown time zone', { whatsappNumber: '+447911123001', timeZone: 'Mars/Olympus' }, ['timeZone']],
    ['a malformed locale', { whatsappNumber: '+447911123001', locale: 'portuguese' }, ['locale']],
    ['a wrong consent type', { whatsappNumber: '+447911123001', consent: { marketing: 'yes' } }, ['consent.marketing']],
    ['an unknown field', { whatsappNumber: '+447911123001', colour: 'blue' }, ['colour']],
  ])('refuses %s with 422 naming the field, storing nothing', async (_name, payload, fields) => {
    const before = Number((await sql<{ n: string }>`select count(*) as n from contacts`.execute(fixture.database.db)).rows[0]?.n);
    const response = await post('/v1/contacts', payload);
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(fields);
    expect(Number((await sql<{ n: string }>`select count(*) as n from contacts`.execute(fixture.database.db)).rows[0]?.n)).toBe(before);
  });

  it('answers 409 when the number and the external id belong to two contacts', async () => {
    const a = (await post('/v1/contacts', { whatsappNumber: number(), externalId: 'clash-a' })).json();
    await post('/v1/contacts', { whatsappNumber: number(), externalId: 'clash-b' });
    const clash = await post('/v1/contacts', { whatsappNumber: a.whatsappNumber, externalId: 'clash-b' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().errors.map((e: { field: string }) => e.field)).toEqual(['whatsappNumber', 'externalId']);
  });
});

describe('consent', () => {
  it('is granted with proof, revoked by the API, and the ledger shows both in order', async () => {
    const contact = (await post('/v1/contacts', { whatsappNumber: number(), consent: { marketing: true, utility: true, proof: 'checkout checkbox v3' } })).json();
    expect(contact.consent).toEqual({ MARKETING: true, UTILITY: true });
    const revoked = await post(`/v1/contacts/${contact.contactId}/consents`, { scope: 'MARKETING', granted: false, proof: 'support ticket 42', ip: '203.0.113.9' });
    expect(revoked.statusCode).toBe(201);
    expect(revoked.json().consent).toEqual({ MARKETING: false, UTILITY: true });
    const history = (await get(`/v1/contacts/${contact.contactId}/consents`)).json().items;
    expect(history.map((e: { scope: string; granted: boolean; source: string }) => [e.scope, e.granted, e.source])).toEqual([
      ['MARKETING', true, 'api'], ['UTILITY', true, 'api'], ['MARKETING', false, 'api'],
    ]);
    expect(history[2]).toMatchObject({ proof: 'support ticket 42', ip: '203.0.113.9', channel: 'whatsapp' });
    expect((await get(`/v1/contacts/${contact.contactId}`)).json().consent).toEqual({ MARKETING: false, UTILITY: true });
  });

  it('the ledger cannot be edited or erased', async () => {
    const contact = (await post('/v1/contacts', { whatsappNumber: number(), consent: { marketing: true } })).json();
    await expect(sql`update consent_events set granted = false where contact_id = ${contact.contactId}`.execute(fixture.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from consent_events where contact_id = ${contact.contactId}`.execute(fixture.database.db)).rejects.toThrow(/append-only/);
  });

  it('stays consistent with the ledger under concurrent changes to one contact', async () => {
    const contact = (await post('/v1/contacts', { whatsappNumber: number() })).json();
    const repository = new ContactsRepository(fixture.database.db);
    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      repository.recordConsent(contact.contactId, [{ scope: i % 2 ? 'UTILITY' : 'MARKETING', granted: i % 3 !== 0, source: 'api' }])));
    const history = await repository.consentHistory(contact.contactId);
    expect(history).toHaveLength(40);
    const lastOf = (scope: string) => history.filter((e) => e.scope === scope).at(-1)!.granted;
    expect((await repository.get(contact.contactId)).consent).toEqual({ MARKETING: lastOf('MARKETING'), UTILITY: lastOf('UTILITY') });
    const derived = await sql<{ marketing_consent_at: Date; utility_consent_at: Date }>`select marketing_consent_at, utility_consent_at from contacts where contact_id = ${contact.contactId}`.execute(fixture.database.db);
    expect(derived.rows[0]!.marketing_consent_at.toISOString()).toBe(history.filter((e) => e.scope === 'MARKETING').at(-1)!.effectiveAt);
    expect(derived.rows[0]!.utility_consent_at.toISOString()).toBe(history.filter((e) => e.scope === 'UTILITY').at(-1)!.effectiveAt);
  });

  it('a grant made earlier but applied later is recorded without overriding a newer withdrawal', async () => {
    const contact = (await post('/v1/contacts', { whatsappNumber: number() })).json();
    const repository = new ContactsRepository(fixture.database.db);
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    await repository.recordConsent(contact.contactId, [{ scope: 'MARKETING', granted: false, source: 'keyword', proof: 'STOP', effectiveAt: minutesAgo(1) }]);
    // A START sent before the STOP, delivered late.
    await repository.recordConsent(contact.contactId, [{ scope: 'MARKETING', granted: true, source: 'keyword', proof: 'START', effectiveAt: minutesAgo(5) }]);
    expect((await repository.get(contact.contactId)).consent.MARKETING).toBe(false);
    expect((await repository.consentHistory(contact.contactId)).map((e) => e.proof)).toEqual(['STOP', 'START']);
    // A late older withdrawal does not lower the bar for a later-arriving grant older than the newest statement.
    await repository.recordConsent(contact.contactId, [{ scope: 'MARKETING', granted: false, source: 'keyword', proof: 'STOP at -10', effectiveAt: minutesAgo(10) }]);
    await repository.recordConsent(contact.contactId, [{ scope: 'MARKETING', granted: true, source: 'keyword', proof: 'START at -3', effectiveAt: minutesAgo(3) }]);
    expect((await repository.get(contact.contactId)).consent.MARKETING).toBe(false);
    // A withdrawal applies however late it arrives.
    await repository.recordConsent(contact.contactId, [{ scope: 'UTILITY', granted: true, source: 'api' }]);
    await repository.recordConsent(contact.contactId, [{ scope: 'UTILITY', granted: false, source: 'keyword', effectiveAt: minutesAgo(10) }]);
    expect((await repository.get(contact.contactId)).consent.UTILITY).toBe(false);
    // A statement claiming to come from the future counts as made now: a later grant still applies.
    await repository.recordConsent(contact.contactId, [{ scope: 'MARKETING', granted: false, source: 'provider-preference', effectiveAt: new Date(Date.now() + 3600_000) }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await repository.recordConsent(contact.contactId, [{ scope: 'MARKETING', granted: true, source: 'api' }]);
    expect((await repository.get(contact.contactId)).consent.MARKETING).toBe(true);
  });

  it('a new number for a contact found by external id does not inherit the old number\'s consent', async () => {
    const [oldNumber, newNumber] = [number(), number()];
    const created = (await post('/v1/contacts', { whatsappNumber: oldNumber, externalId: `crm-${oldNumber}`, consent: { marketing: true, utility: true } })).json();
    const moved = await post('/v1/contacts', { whatsappNumber: newNumber, externalId: `crm-${oldNumber}` });
    expect(moved.json()).toMatchObject({ contactId: created.contactId, whatsappNumber: newNumber, consent: { MARKETING: false, UTILITY: false } });
    const history = await new ContactsRepository(fixture.database.db).consentHistory(created.contactId);
    expect(history.slice(-2).map((e) => [e.granted, e.source])).toEqual([[false, 'api'], [false, 'api']]);
    expect(history.at(-1)!.proof).toContain(`from ${oldNumber} to ${newNumber}`);
    // Consent stated in the same request applies to the new number.
    const regranted = await post('/v1/contacts', { whatsappNumber: number(), externalId: `crm-${oldNumber}`, consent: { marketing: true } });
    expect(regranted.json().consent).toEqual({ MARKETING: true, UTILITY: false });
  });

  it('lists consented contacts a page at a time', async () => {
    const repository = new ContactsRepository(fixture.database.db);
    const granted = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const c = (await post('/v1/contacts', { whatsappNumber: number(), consent: { marketing: i % 2 === 0 } })).json();
      if (i % 2 === 0) granted.add(c.contactId);
    }
    const seen: string[] = [];
    let page: string[] = [];
    do {
      page = await repository.consentedContactIds('MARKETING', 3, seen.at(-1));
      seen.push(...page);
    } while (page.length === 3);
    for (const id of granted) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of seen) expect((await repository.get(id)).consent.MARKETING).toBe(true);
  });
});

describe('POST /v1/profiles (CleverTap-style)', () => {
  it('MSG-whatsapp grants and then revokes consent at the object-id level, good records stored despite bad ones', async () => {
    const phone = number();
    const push = async (records: object[]) => (await post('/v1/profiles', { d: records })).json();
    const first = await push([
      { objectId: 'obj-1', identity: 'user-1', type: 'profile', profileData: { Name: 'Rui', Phone: phone, 'MSG-whatsapp': true, tier: 'silver' } },
      { identity: 'user-2', type: 'profile', profileData: { Phone: 'not a number' } },
      { identity: 'user-3', type: 'profile', profileData: { 'msg-whatsapp': 'maybe' } },
    ]);
    expect(first).toEqual({
      status: 'partial', processed: 1,
      unprocessed: [
        { index: 1, errors: [expect.objectContaining({ field: 'profileData.Phone' })] },
        { index: 2, errors: [expect.objectContaining({ field: 'profileData.MSG-whatsapp' })] },
      ],
    });
    const repository = new ContactsRepository(fixture.database.db);
    const id = (await repository.findIdByNumber(phone))!;
    expect(await repository.get(id)).toMatchObject({ externalId: 'obj-1', displayName: 'Rui', attributes: { tier: 'silver' }, consent: { MARKETING: true, UTILITY: true } });

    expect(await push([{ objectId: 'obj-1', type: 'profile', profileData: { 'msg-whatsapp': 'false' } }])).toMatchObject({ status: 'success', processed: 1 });
    expect((await repository.get(id)).consent).toEqual({ MARKETING: false, UTILITY: false });
    const history = await repository.consentHistory(id);
    expect(history.map((e) => [e.granted, e.source, e.proof])).toEqual([
      [true, 'profile', 'profile push: MSG-whatsapp=true'], [true, 'profile', 'profile push: MSG-whatsapp=true'],
      [false, 'profile', 'profile push: MSG-whatsapp=false'], [false, 'profile', 'profile push: MSG-whatsapp=false'],
    ]);
  });
});

// Bulk import: good rows stored, bad rows reported by number, nothing half-written.
import { describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../db/contacts.ts';
import { useApiFixture } from '../helpers/api.ts';

const fixture = useApiFixture();
const upload = (body: string, contentType: string, query = '') =>
  fixture.api.request({ method: 'POST', url: `/v1/contacts/import${query}`, payload: body, headers: { 'content-type': contentType } });
const repository = () => new ContactsRepository(fixture.database.db);

describe('POST /v1/contacts/import', () => {
  it('CSV with mixed rows: stores every good one, reports each bad one by row and field', async () => {
    const csv = [
      'phone,name,time_zone,consent,plan',
      '+447911123401,Ana,Europe/London,true,gold',
      'not-a-phone,Bad Number,,true,',
      '+447911123402,Rui,Mars/Base,false,',
      '447911123403,Eva,,maybe,',
      '+447911123404,"Quoted, Name",,,silver',
      '+447911123405,Too,Many,Columns,here,extra',
      '+447911123406,Zé,America/Sao_Paulo,false,',
    ].join('\n');
    const response = await upload(csv, 'text/csv', '?proof=signup%20form%20v2');
    expect(response.statusCode).toBe(200);
    // Bad rows are refused before the database: the good ones still go in set-wise.
    expect(response.json()).toMatchObject({ rows: 7, created: 3, updated: 0, rejected: 4, replayedBatches: 0, errorsTruncated: false });
    expect(response.json().errors.map((e: { row: number; errors: { field: string }[] }) => [e.row, e.errors.map((x) => x.field)])).toEqual([
      [2, ['phone']], [3, ['time_zone']], [4, ['consent']], [6, ['row']],
    ]);
    const ana = await repository().get((await repository().findIdByNumber('+447911123401'))!);
    expect(ana).toMatchObject({ displayName: 'Ana', timeZone: 'Europe/London', attributes: { plan: 'gold' }, consent: { MARKETING: true, UTILITY: true } });
    expect((await repository().consentHistory(ana.contactId))[0]).toMatchObject({ source: 'import', proof: 'signup form v2' });
    expect(await repository().get((await repository().findIdByNumber('+447911123404'))!)).toMatchObject({ displayName: 'Quoted, Name', consent: { MARKETING: false, UTILITY: false } });
    expect(await repository().findIdByNumber('+447911123402')).toBeUndefined(); // nothing of a refused row
  });

  it('a second import updates, merges attributes and records consent changes; duplicates in one batch are isolated', async () => {
    await upload('phone,plan\n+447911123410,gold\n', 'text/csv');
    const response = await upload('phone,city,consent\n+447911123410,Porto,true\n+447911123411,Lisbon,\n+447911123411,Faro,false\n', 'text/csv', '?consentScopes=MARKETING');
    // One number twice in a batch: the set-wise write is refused and the batch applied row by row.
    expect(response.json()).toMatchObject({ rows: 3, created: 1, updated: 2, rejected: 0, replayedBatches: 1 });
    const contact = await repository().get((await repository().findIdByNumber('+447911123410'))!);
    expect(contact).toMatchObject({ attributes: { plan: 'gold', city: 'Porto' }, consent: { MARKETING: true, UTILITY: false } });
    expect((await repository().get((await repository().findIdByNumber('+447911123411'))!)).attributes).toEqual({ city: 'Faro' });
  });

  it('set-wise and row by row agree: a number whose contact has another external id is a conflict, not a takeover', async () => {
    await upload('phone,external_id,name\n+447911123450,crm-a,Ana\n', 'text/csv');
    const response = await upload('external_id,phone,name\ncrm-a,,Ana Maria\ncrm-b,+447911123450,Someone Else\n', 'text/csv');
    expect(response.json()).toMatchObject({ rows: 2, updated: 1, rejected: 1, replayedBatches: 1 });
    expect(response.json().errors).toEqual([{ row: 2, errors: [expect.objectContaining({ field: 'externalId' })] }]);
    const ana = await repository().get((await repository().findIdByNumber('+447911123450'))!);
    expect(ana).toMatchObject({ externalId: 'crm-a', displayName: 'Ana Maria' });
  });

  it('NDJSON, with a malformed line reported and the rest stored', async () => {
    const ndjson = ['{"phone":"+447911123420","name":"Nuno","consent":true}', '{not json', '{"external_id":"crm-77","name":"No Phone"}', '["an","array"]'].join('\n');
    const response = await upload(ndjson, 'application/x-ndjson');
    expect(response.json()).toMatchObject({ rows: 4, created: 2, rejected: 2, replayedBatches: 0 });
    expect(response.json().errors.map((e: { row: number }) => e.row)).toEqual([2, 4]);
  });

  it('wide rows import too: 1,200 rows of 30 KB each are all stored (batches are bounded by bytes as well as rows)', async () => {
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`field_${i}`, 'x'.repeat(100)]));
    const lines = Array.from({ length: 1_200 }, (_, i) => JSON.stringify({ external_id: `wide-${i}`, ...wide }));
    const response = await upload(lines.join('\n'), 'application/x-ndjson');
    expect(response.json()).toMatchObject({ rows: 1_200, created: 1_200, rejected: 0 });
  });

  it('refuses a file whose header lacks a column the request maps, before storing anything', async () => {
    const response = await upload('mobile,name\n+447911123430,Ana\n', 'text/csv', '?nameColumn=full_name');
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['nameColumn', 'phoneColumn']);
    expect(await repository().findIdByNumber('+447911123430')).toBeUndefined();
  });

  it('maps columns by name and answers 415 for other content types', async () => {
    const mapped = await upload('Mobile,Full Name,Opt In\n+447911123440,Ana,TRUE\n', 'text/csv', '?phoneColumn=Mobile&nameColumn=Full%20Name&consentColumn=Opt%20In');
    expect(mapped.json()).toMatchObject({ created: 1, rejected: 0 });
    expect(await repository().get((await repository().findIdByNumber('+447911123440'))!)).toMatchObject({ displayName: 'Ana', consent: { MARKETING: true } });
    const xml = await upload('<contacts/>', 'application/xml');
    expect(xml.statusCode).toBe(415);
  });
});

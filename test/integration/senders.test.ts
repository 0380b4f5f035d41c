import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SendersRepository } from '../../db/senders.ts';
import { useApiFixture } from '../helpers/api.ts';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const apiSecret = 'api-secret-0f9e8d7c';
const signatureSecret = 'signature-secret-1a2b3c4d';

// trace: the most verbose level, so a secret anywhere in a log line would show.
const fixture = useApiFixture({ logLevel: 'trace' });
let nextNumber = 100;

/** A valid, unused US number per call (area code 415, 555-01xx is reserved for fiction). */
const uniqueNumber = () => `+1415555${String(nextNumber++).padStart(4, '0')}`;

const validSender = (overrides: Record<string, unknown> = {}) => ({
  nickname: 'Main line',
  whatsappNumber: uniqueNumber(),
  apiKey: 'abcd1234',
  apiSecret,
  applicationId: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
  privateKey,
  signatureSecret,
  wabaId: '102938475610',
  portfolioId: '556677889900',
  ...overrides,
});


describe('senders', () => {
  it('creates, reads, lists, updates and deletes a sender', async () => {
    const created = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ whatsappNumber: '+44 20 7946 0958' }) });
    expect(created.statusCode).toBe(201);
    const sender = created.json();
    expect(sender).toMatchObject({
      nickname: 'Main line',
      whatsappNumber: '+442079460958',
      apiKey: 'abcd1234',
      applicationId: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
      wabaId: '102938475610',
      portfolioId: '556677889900',
      autoReplyEnabled: false,
      secrets: { apiSecret: true, privateKey: true, signatureSecret: true },
    });
    expect(created.headers.location).toBe(`/v1/senders/${sender.senderId}`);

    const fetched = await fixture.api.request({ method: 'GET', url: `/v1/senders/${sender.senderId}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(sender);

    const listed = await fixture.api.request({ method: 'GET', url: '/v1/senders?limit=200' });
    expect(listed.json().items.map((s: { senderId: string }) => s.senderId)).toContain(sender.senderId);

    const patched = await fixture.api.request({
      method: 'PATCH',
      url: `/v1/senders/${sender.senderId}`,
      payload: { nickname: 'Renamed', autoReplyEnabled: true, autoReplyText: 'We will be in touch', signatureSecret: null },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      nickname: 'Renamed',
      autoReplyEnabled: true,
      autoReplyText: 'We will be in touch',
      secrets: { apiSecret: true, privateKey: true, signatureSecret: false },
    });
    expect(new Date(patched.json().updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(sender.updatedAt).getTime());

    const deleted = await fixture.api.request({ method: 'DELETE', url: `/v1/senders/${sender.senderId}` });
    expect(deleted.statusCode).toBe(204);
    const gone = await fixture.api.request({ method: 'GET', url: `/v1/senders/${sender.senderId}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    const deletedTwice = await fixture.api.request({ method: 'DELETE', url: `/v1/senders/${sender.senderId}` });
    expect(deletedTwice.statusCode).toBe(404);
  });

  it('pages through the list with an opaque cursor, each sender once', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender() });
      ids.add(response.json().senderId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await fixture.api.request({ method: 'GET', url: `/v1/senders?limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      expect(page.statusCode).toBe(200);
      const body = page.json<{ items: { senderId: string }[]; nextCursor: string | null }>();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((s) => s.senderId));
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);

    const forged = Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url');
    for (const cursor of ['garbage', forged]) {
      const badCursor = await fixture.api.request({ method: 'GET', url: `/v1/senders?cursor=${cursor}` });
      expect(badCursor.statusCode).toBe(422);
      expect(badCursor.json().errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    }
  });

  it('answers 409 for a number that is already registered, on create and on update', async () => {
    const first = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ whatsappNumber: '+14155550199' }) });
    expect(first.statusCode).toBe(201);
    // The same number written differently is still the same number.
    const duplicate = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ whatsappNumber: '1 415 555 0199' }) });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ status: 409, errors: [{ field: 'whatsappNumber' }] });

    const other = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender() });
    const clash = await fixture.api.request({ method: 'PATCH', url: `/v1/senders/${other.json().senderId}`, payload: { whatsappNumber: '+14155550199' } });
    expect(clash.statusCode).toBe(409);
    const unchanged = await fixture.api.request({ method: 'GET', url: `/v1/senders/${other.json().senderId}` });
    expect(unchanged.json().whatsappNumber).toBe(other.json().whatsappNumber);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['an invalid number', { whatsappNumber: '12345' }, ['whatsappNumber']],
    ['an empty nickname', { nickname: '' }, ['nickname']],
    ['an unknown field', { colour: 'blue' }, ['colour']],
    ['a malformed application id', { applicationId: 'not-a-uuid' }, ['applicationId']],
    ['a non-numeric WABA id', { wabaId: 'waba-1' }, ['wabaId']],
    ['several problems at once', { whatsappNumber: 'x', nickname: '', wabaId: 'y' }, ['nickname', 'whatsappNumber', 'wabaId']],
  ])('answers 422 naming the field for %s', async (_name, overrides, fields) => {
    const response = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender(overrides) });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ type: '/problems/validation-failed', status: 422, instance: '/v1/senders' });
    expect(problem.requestId).toBe(response.headers['x-request-id']);
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
  });

  it('answers 422 for an unreadable or non-RSA private key', async () => {
    const garbage = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ privateKey: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' }) });
    expect(garbage.statusCode).toBe(422);
    expect(garbage.json().errors).toEqual([{ field: 'privateKey', message: expect.stringMatching(/PEM/) }]);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const wrongKind = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ privateKey: ec }) });
    expect(wrongKind.statusCode).toBe(422);
    expect(wrongKind.json().errors[0].field).toBe('privateKey');
  });

  it('answers 422 when no complete credential pair would remain, and changes nothing', async () => {
    const incomplete = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ apiSecret: undefined, applicationId: undefined }) });
    expect(incomplete.statusCode).toBe(422);
    expect(incomplete.json().errors.map((e: { field: string }) => e.field)).toEqual(['apiSecret']);

    const basicOnly = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ applicationId: undefined, privateKey: undefined }) });
    expect(basicOnly.statusCode).toBe(201);
    const id = basicOnly.json().senderId;
    const stripped = await fixture.api.request({ method: 'PATCH', url: `/v1/senders/${id}`, payload: { apiSecret: null, nickname: 'should not stick' } });
    expect(stripped.statusCode).toBe(422);
    const after = await fixture.api.request({ method: 'GET', url: `/v1/senders/${id}` });
    expect(after.json()).toMatchObject({ nickname: 'Main line', secrets: { apiSecret: true } });
  });

  it('answers 400 for a body that is not JSON and 404 for an unknown sender', async () => {
    const malformed = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: '{"nickname":', headers: { 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().type).toBe('/problems/bad-request');
    const unknown = await fixture.api.request({ method: 'GET', url: '/v1/senders/6f1c8f8e-3a52-4d55-9a4c-7f0d8f5b1c2a' });
    expect(unknown.statusCode).toBe(404);
    const notAnId = await fixture.api.request({ method: 'GET', url: '/v1/senders/42' });
    expect(notAnId.statusCode).toBe(422);
    expect(notAnId.json().errors[0].field).toBe('senderId');
  });

  it('keeps secrets encrypted in the table, out of every response and out of the logs', async () => {
    const created = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender() });
    const senderId = created.json().senderId as string;
    const responses = [
      created.body,
      (await fixture.api.request({ method: 'GET', url: `/v1/senders/${senderId}` })).body,
      (await fixture.api.request({ method: 'GET', url: '/v1/senders?limit=200' })).body,
      (await fixture.api.request({ method: 'PATCH', url: `/v1/senders/${senderId}`, payload: { apiSecret: `${apiSecret}-2` } })).body,
      (await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: validSender({ nickname: '' }) })).body,
    ];

    const row = await sql<Record<string, unknown>>`select * from senders where sender_id = ${senderId}`.execute(fixture.database.db);
    const stored = JSON.stringify(row.rows);
    const keyBody = privateKey.split('\n')[1]!;
    for (const haystack of [stored, ...responses, fixture.api.logs()]) {
      expect(haystack).not.toContain(apiSecret);
      expect(haystack).not.toContain(signatureSecret);
      expect(haystack).not.toContain(keyBody);
    }
    expect(row.rows[0]).toMatchObject({ api_secret_sealed: expect.stringMatching(/^v1\./), private_key_sealed: expect.stringMatching(/^v1\./) });
    expect(fixture.api.logs()).toContain(senderId); // the logs did record the traffic

    // The redaction backstop: even a careless log call with secrets nested in objects prints none of them.
    fixture.api.app.log.info({ sender: { apiSecret }, req: { body: { privateKey } }, input: { credentials: { nested: { signatureSecret } } } }, 'careless');
    const careless = fixture.api.logs().split('\n').find((line) => line.includes('careless'));
    expect(careless).toBeDefined();
    for (const secret of [apiSecret, signatureSecret, keyBody]) expect(careless).not.toContain(secret);
    expect(careless).toContain('[redacted]');

    // …and the sealed values open to the originals for the code that calls Vonage.
    const credentials = await new SendersRepository(fixture.database.db, fixture.api.secrets).credentials(senderId);
    expect(credentials).toMatchObject({ apiSecret: `${apiSecret}-2`, privateKey, signatureSecret });
  });
});

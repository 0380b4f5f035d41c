// Vonage → our API: the simulator's signed status and inbound webhooks reach
// the receivers, are verified, stored once and applied monotonically.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebhookEventsRepository } from '../../db/webhook-events.ts';
import { createMessenger } from '../../vonage/messenger.ts';
import { signWebhook } from '../../vonage/webhook-signature.ts';
import { useApiFixture } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';

const fixture = useApiFixture();
const sim = useSimulator();
const ourNumber = '14155550177';
const account = makeTestAccount({ numbers: [ourNumber] });
let apiUrl: string;

beforeAll(async () => {
  apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  const created = await fixture.api.request({
    method: 'POST',
    url: '/v1/senders',
    payload: { nickname: 'Webhooks', whatsappNumber: `+${ourNumber}`, apiKey: account.apiKey, apiSecret: account.apiSecret, signatureSecret: account.signatureSecret },
  });
  expect(created.statusCode).toBe(201);
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
});

const db = () => fixture.database.db;
const statusOf = async (messageUuid: string) =>
  db().selectFrom('message_statuses').selectAll().where('message_uuid', '=', messageUuid).executeTakeFirst();
const eventCount = async () => Number((await sql<{ n: string }>`select count(*) as n from webhook_events`.execute(db())).rows[0]?.n);

function statusBody(messageUuid: string, status: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ message_uuid: messageUuid, to: '447700900123', from: ourNumber, timestamp: new Date().toISOString(), status, channel: 'whatsapp', ...extra });
}

async function post(path: string, body: string, authorization?: string) {
  return fixture.api.app.inject({ method: 'POST', url: path, payload: body, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) } });
}

const signed = (body: string, secret = account.signatureSecret, nowMs?: number) => `Bearer ${signWebhook(body, secret, { apiKey: account.apiKey }, nowMs)}`;

describe('status webhooks', () => {
  it('a sent message\'s statuses arrive signed and the record ends at read, with price and origin', async () => {
    const messenger = createMessenger({ apiKey: account.apiKey, apiSecret: account.apiSecret }, { apiHost: sim.url, timeoutMs: 5_000 });
    const { messageUuid } = await messenger.send({ kind: 'template', to: '+447700900123', from: `+${ourNumber}`, clientRef: 'campaign-1:contact-1', name: 'hello', locale: 'en_US', parameters: [] });
    await expect.poll(async () => (await statusOf(messageUuid))?.status, { timeout: 10_000 }).toBe('read');
    expect(await statusOf(messageUuid)).toMatchObject({ client_ref: 'campaign-1:contact-1', recipient: '447700900123', price: '0.0333', currency: 'EUR', conversation_origin: 'marketing' });
    const deliveries = () => sim.simulator.webhooks.deliveries.filter((d) => d.messageUuid === messageUuid);
    expect(deliveries().map((d) => d.event).sort()).toEqual(['delivered', 'read', 'submitted']);
    // The simulator books an attempt once it has read the answer, which can be after the API has applied the event.
    await expect.poll(() => deliveries().every((d) => d.outcome === 'delivered' && d.attempts.at(-1)?.statusCode === 200), { timeout: 5_000 }).toBe(true);
  });

  it('a scripted "not a WhatsApp user" is stored as rejected with Vonage\'s error code', async () => {
    const recipient = '447700900999';
    sim.simulator.recipients.set(recipient, { outcome: 'rejected', errorCode: '1300' });
    const messenger = createMessenger({ apiKey: account.apiKey, apiSecret: account.apiSecret }, { apiHost: sim.url, timeoutMs: 5_000 });
    const { messageUuid } = await messenger.send({ kind: 'text', to: `+${recipient}`, from: `+${ourNumber}`, clientRef: 'r-1', text: 'hi' });
    await expect.poll(async () => (await statusOf(messageUuid))?.status, { timeout: 10_000 }).toBe('rejected');
    expect(await statusOf(messageUuid)).toMatchObject({ error_code: '1300', error_detail: expect.stringMatching(/WhatsApp/) });
  });

  it('a replayed event changes nothing', async () => {
    const messageUuid = randomUUID();
    const body = statusBody(messageUuid, 'delivered', { client_ref: 'replay' });
    expect((await post('/webhooks/vonage/status', body, signed(body))).statusCode).toBe(200);
    await expect.poll(async () => (await statusOf(messageUuid))?.status).toBe('delivered');
    const before = { events: await eventCount(), row: await statusOf(messageUuid) };
    // Vonage re-delivers the same body with a fresh signature.
    expect((await post('/webhooks/vonage/status', body, signed(body))).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await eventCount()).toBe(before.events);
    expect(await statusOf(messageUuid)).toEqual(before.row);
  });

  it.each<[string, string[], string]>([
    ['read before delivered and submitted', ['read', 'delivered', 'submitted'], 'read'],
    ['rejected after read', ['submitted', 'read', 'rejected'], 'read'],
    ['rejected over submitted', ['submitted', 'rejected'], 'rejected'],
    ['undeliverable over delivered, then a late delivered', ['delivered', 'undeliverable', 'delivered'], 'undeliverable'],
    ['submitted after delivered', ['delivered', 'submitted'], 'delivered'],
  ])('statuses apply monotonically: %s', async (_name, sequence, final) => {
    const messageUuid = randomUUID();
    for (const [i, status] of sequence.entries()) {
      const extra = status === 'rejected' || status === 'undeliverable'
        ? { error: { type: 'https://developer.vonage.com/api-errors/messages#1300', title: '1300', detail: 'x' } }
        : status === 'delivered' ? { seq: i, usage: { currency: 'EUR', price: '0.0333' }, whatsapp: { conversation: { id: 'c', origin: { type: 'utility' } } } } : { seq: i };
      const body = statusBody(messageUuid, status, extra);
      expect((await post('/webhooks/vonage/status', body, signed(body))).statusCode).toBe(200);
      // Applied one at a time so the order is the one under test.
      await expect.poll(async () => (await db().selectFrom('webhook_events').select('processed_at').where('message_uuid', '=', messageUuid).where('processed_at', 'is', null).execute()).length).toBe(0);
    }
    const row = await statusOf(messageUuid);
    expect(row?.status).toBe(final);
    // Price and origin arrive on delivered only, and are kept whatever came before or after it.
    if (sequence.includes('delivered')) expect(row).toMatchObject({ price: '0.0333', currency: 'EUR', conversation_origin: 'utility' });
    // The error belongs to the failure status that won, and only to it.
    expect(row?.error_code ?? null).toBe(final === 'rejected' || final === 'undeliverable' ? '1300' : null);
  });

  it('keeps statuses for message uuids it has never seen sent', async () => {
    const messageUuid = randomUUID();
    const body = statusBody(messageUuid, 'submitted', { client_ref: 'not-yet-committed' });
    expect((await post('/webhooks/vonage/status', body, signed(body))).statusCode).toBe(200);
    await expect.poll(async () => (await statusOf(messageUuid))?.client_ref).toBe('not-yet-committed');
  });

  it.each<[string, () => [string, string | undefined]]>([
    ['no Authorization header', () => { const b = statusBody(randomUUID(), 'read'); return [b, undefined]; }],
    ['the wrong secret', () => { const b = statusBody(randomUUID(), 'read'); return [b, signed(b, 'not-the-secret')]; }],
    ['a tampered body', () => { const b = statusBody(randomUUID(), 'delivered'); return [b.replace('delivered', 'read'), signed(b)]; }],
    ['a stale iat', () => { const b = statusBody(randomUUID(), 'read'); return [b, signed(b, account.signatureSecret, Date.now() - 6 * 60_000)]; }],
    ['a number that is not ours', () => { const b = statusBody(randomUUID(), 'read').replace(ourNumber, '14155550000'); return [b, signed(b)]; }],
  ])('answers 401 and stores nothing for %s', async (_name, make) => {
    const [body, authorization] = make();
    const before = await eventCount();
    const response = await post('/webhooks/vonage/status', body, authorization);
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(await eventCount()).toBe(before);
    expect(await statusOf((JSON.parse(body) as { message_uuid: string }).message_uuid)).toBeUndefined();
  });

  it('applies, at start-up, events stored before a crash but never applied', async () => {
    const events = new WebhookEventsRepository(db());
    const messageUuid = randomUUID();
    const rawBody = statusBody(messageUuid, 'delivered');
    await events.record({ kind: 'status', senderId: null, rawBody, payload: JSON.parse(rawBody) as never });
    expect(await statusOf(messageUuid)).toBeUndefined();
    expect(await events.processPending()).toBeGreaterThanOrEqual(1);
    expect((await statusOf(messageUuid))?.status).toBe('delivered');
  });
});

describe('inbound webhooks', () => {
  it('a text and a button press injected through /_sim/ arrive verified and are stored', async () => {
    const inject = (payload: object) => fetch(`${sim.url}/_sim/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    const text = await inject({ to: `+${ourNumber}`, from: '+447700900555', text: 'Hello there', profileName: 'Ana' });
    expect(text.status).toBe(201);
    const button = await inject({ to: ourNumber, from: '447700900555', button: { payload: 'STOP', text: 'Stop promotions' } });
    expect(button.status).toBe(201);
    const uuids = [((await text.json()) as { messageUuid: string }).messageUuid, ((await button.json()) as { messageUuid: string }).messageUuid];
    await expect.poll(async () => (await db().selectFrom('inbound_messages').selectAll().where('message_uuid', 'in', uuids).orderBy('received_at').execute()).length).toBe(2);
    const rows = await db().selectFrom('inbound_messages').selectAll().where('message_uuid', 'in', uuids).execute();
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ message_uuid: uuids[0], from_number: '447700900555', message_type: 'text', text: 'Hello there', profile_name: 'Ana' }),
      expect.objectContaining({ message_uuid: uuids[1], message_type: 'button', button_payload: 'STOP' }),
    ]));
  });
});

describe('the simulator\'s webhook delivery', () => {
  it('retries with backoff while the receiver answers non-2xx, then delivers', async () => {
    let calls = 0;
    const flaky = createServer((request, response) => {
      request.resume();
      calls += 1;
      response.statusCode = calls <= 2 ? 503 : 200;
      response.end();
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/hook`;
      const delivery = await sim.simulator.webhooks.schedule({ url, signatureSecret: 's', apiKey: 'k' }, 'status', randomUUID(), 'delivered', { hello: 'world' });
      expect(delivery.outcome).toBe('delivered');
      expect(delivery.attempts.map((a) => a.statusCode)).toEqual([503, 503, 200]);
      const gaps = delivery.attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(delivery.attempts[i]!.at));
      // Doubling backoff from the fixture's 20 ms: at least 20 ms, then at least 40 ms.
      expect(gaps[0]!).toBeGreaterThanOrEqual(19);
      expect(gaps[1]!).toBeGreaterThanOrEqual(39);
    } finally {
      flaky.close();
    }
  });
});

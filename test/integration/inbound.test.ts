// Inbound messages change consent and get answered: STOP (word or button)
// revokes and is confirmed once, START grants, a sentence is just a message,
// an untracked number gets the auto-reply once per 24 h, Meta's marketing
// preference revokes MARKETING. End to end: simulator → signed webhook → API →
// database → Temporal → worker → simulator.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { metaSignature } from '../../api/meta-webhooks.ts';
import { ContactsRepository } from '../../db/contacts.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const taskQueue = uniqueTaskQueue('inbound');
const appSecret = 'meta-secret-inbound';
const fixture = useApiFixture({ taskQueue, meta: { appSecret } });
const sim = useSimulator();
const ourNumber = '14155550188';
const account = makeTestAccount({ numbers: [ourNumber] });
useEngineWorker(fixture, () => sim.url, taskQueue);
let next = 200;
const customer = () => `+447911123${String(next++).padStart(3, '0')}`;

beforeAll(async () => {
  const apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  const sender = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: {
    nickname: 'Inbound', whatsappNumber: `+${ourNumber}`, apiKey: account.apiKey, apiSecret: account.apiSecret, signatureSecret: account.signatureSecret,
    autoReplyEnabled: true, autoReplyText: 'Thanks for writing! We will answer soon.',
  } });
  expect(sender.statusCode).toBe(201);
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
});

const contacts = () => new ContactsRepository(fixture.database.db);
async function inbound(from: string, body: { text?: string; button?: { payload: string; text: string } }): Promise<string> {
  const response = await fetch(`${sim.url}/_sim/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: ourNumber, from, ...body }) });
  expect(response.status).toBe(201);
  return ((await response.json()) as { messageUuid: string }).messageUuid;
}
const sentTo = (number: string) => sim.simulator.ledger.filter((m) => m.to === number.replace('+', ''));
const consentOf = async (number: string) => (await contacts().get((await contacts().findIdByNumber(number))!)).consent;
const applied = (messageUuid: string) => expect.poll(async () =>
  (await fixture.database.db.selectFrom('webhook_events').select('processed_at').where('message_uuid', '=', messageUuid).executeTakeFirst())?.processed_at, { timeout: 10_000 }).toBeTruthy();

describe('opt-out and opt-in keywords', () => {
  it('STOP revokes every scope at once, records the message as proof, and is confirmed exactly once', async () => {
    const number = customer();
    await fixture.api.request({ method: 'POST', url: '/v1/contacts', payload: { whatsappNumber: number, consent: { marketing: true, utility: true } } });
    const uuid = await inbound(number, { text: '  stop ' });
    await expect.poll(() => consentOf(number)).toEqual({ MARKETING: false, UTILITY: false });
    const history = await contacts().consentHistory((await contacts().findIdByNumber(number))!);
    expect(history.slice(-2).map((e) => [e.scope, e.granted, e.source])).toEqual([['MARKETING', false, 'keyword'], ['UTILITY', false, 'keyword']]);
    expect(history.at(-1)?.proof).toContain(uuid);
    await expect.poll(() => sentTo(number).map((m) => m.clientRef), { timeout: 15_000 }).toEqual([`optout-${uuid}`]);
    expect(sentTo(number)[0]?.request).toMatchObject({ message_type: 'text', text: expect.stringMatching(/no longer receive/) });

    // Vonage re-delivers the same event: nothing changes, nothing is sent again.
    const delivery = sim.simulator.webhooks.deliveries.find((d) => d.messageUuid === uuid)!;
    await sim.simulator.webhooks.schedule({ url: delivery.url, signatureSecret: account.signatureSecret, apiKey: account.apiKey }, 'inbound', uuid, 'text', JSON.parse(delivery.body) as object);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sentTo(number)).toHaveLength(1);
    expect(await contacts().consentHistory((await contacts().findIdByNumber(number))!)).toHaveLength(history.length);
  });

  it('two first messages from a new number at once are both applied at once (no wait for a restart)', async () => {
    const number = customer();
    const uuids = await Promise.all([inbound(number, { text: 'hello' }), inbound(number, { text: 'STOP' })]);
    for (const uuid of uuids) await applied(uuid);
    expect(await consentOf(number)).toEqual({ MARKETING: false, UTILITY: false });
  });

  it('a quick-reply button whose payload is an opt-out revokes too', async () => {
    const number = customer();
    await fixture.api.request({ method: 'POST', url: '/v1/contacts', payload: { whatsappNumber: number, consent: { marketing: true } } });
    await inbound(number, { button: { payload: 'STOP', text: 'Stop promotions' } });
    await expect.poll(() => consentOf(number)).toEqual({ MARKETING: false, UTILITY: false });
  });

  it('a sentence that merely contains STOP is a message, not an opt-out; START grants', async () => {
    const number = customer();
    await fixture.api.request({ method: 'POST', url: '/v1/contacts', payload: { whatsappNumber: number, consent: { marketing: true } } });
    await applied(await inbound(number, { text: 'please do not stop the deliveries' }));
    expect(await consentOf(number)).toEqual({ MARKETING: true, UTILITY: false });
    await inbound(number, { text: 'Start' });
    await expect.poll(() => consentOf(number)).toEqual({ MARKETING: true, UTILITY: true });
  });

  it('every inbound message is stored and opens the 24 h service window', async () => {
    const number = customer();
    const uuid = await inbound(number, { text: 'hello?' });
    await applied(uuid);
    const contactId = (await contacts().findIdByNumber(number))!;
    const window = await sql<{ last_inbound_at: Date }>`select last_inbound_at from service_windows where contact_id = ${contactId}`.execute(fixture.database.db);
    expect(window.rows).toHaveLength(1);
    expect(await fixture.database.db.selectFrom('inbound_messages').select('text').where('message_uuid', '=', uuid).executeTakeFirst()).toEqual({ text: 'hello?' });
  });
});

describe('auto-reply', () => {
  it('answers an untracked number once per 24 h, and never a registered contact', async () => {
    const stranger = customer();
    await inbound(stranger, { text: 'hi, is this the shop?' });
    await expect.poll(() => sentTo(stranger).map((m) => (m.request as { text?: string }).text), { timeout: 15_000 }).toEqual(['Thanks for writing! We will answer soon.']);
    const contact = await contacts().get((await contacts().findIdByNumber(stranger))!);
    expect(contact.consent).toEqual({ MARKETING: false, UTILITY: false }); // created without consent
    await applied(await inbound(stranger, { text: 'hello again' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sentTo(stranger)).toHaveLength(1);
    // A day later it may answer again.
    await sql`update auto_replies set last_sent_at = last_sent_at - interval '25 hours'`.execute(fixture.database.db);
    await inbound(stranger, { text: 'anyone there?' });
    await expect.poll(() => sentTo(stranger).length, { timeout: 15_000 }).toBe(2);

    const known = customer();
    await fixture.api.request({ method: 'POST', url: '/v1/contacts', payload: { whatsappNumber: known } });
    await applied(await inbound(known, { text: 'hi' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sentTo(known)).toHaveLength(0);
  });
});

describe('Meta user_preferences', () => {
  it('a marketing stop inside WhatsApp revokes MARKETING only; resume grants it again', async () => {
    const number = customer();
    await fixture.api.request({ method: 'POST', url: '/v1/contacts', payload: { whatsappNumber: number, consent: { marketing: true, utility: true } } });
    // Meta's times are whole seconds; the stop and the resume come a second apart (times ahead of the clock count as now).
    const second = Math.floor(Date.now() / 1000);
    const event = (value: 'stop' | 'resume') => JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1234', time: Math.floor(Date.now() / 1000), changes: [{ field: 'user_preferences', value: { messaging_product: 'whatsapp', user_preferences: [{ wa_id: number.slice(1), category: 'marketing_messages', value, timestamp: second + (value === 'stop' ? 1 : 2) }] } }] }],
    });
    const post = (body: string) => fixture.api.app.inject({ method: 'POST', url: '/webhooks/meta', payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, appSecret) } });
    expect((await post(event('stop'))).json()).toEqual({ received: true, forwarded: 1 });
    expect(await consentOf(number)).toEqual({ MARKETING: false, UTILITY: true });
    const last = (await contacts().consentHistory((await contacts().findIdByNumber(number))!)).at(-1);
    expect(last).toMatchObject({ scope: 'MARKETING', granted: false, source: 'provider-preference' });
    await post(event('resume'));
    expect(await consentOf(number)).toEqual({ MARKETING: true, UTILITY: true });
  });
});

// A warm-up campaign at TIME_SCALE 8,640 (a simulated day is 10 s): the most
// engaged contacts go first, the campaign draws only what the portfolio's
// governor paces each day, and the simulated Meta raises the portfolio from
// 250 to 2K on the sends it counted, which the governor follows.
import { beforeAll, describe, expect, it } from 'vitest';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const timeScale = 8_640;
const appSecret = 'meta-app-secret-warmup-campaign';
const taskQueue = uniqueTaskQueue('warmup-campaign');
const fixture = useApiFixture({ meta: { appSecret }, taskQueue, timeScale });
const sim = useSimulator({ timeScale });
useEngineWorker(fixture, () => sim.url, taskQueue);

const ourNumber = '447911123411';
const wabaId = '5550411';
const portfolioId = `3${String(Date.now()).slice(-9)}`;
const account = makeTestAccount({ numbers: [ourNumber], wabaIds: [wabaId] });
const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
let senderId: string;
let templateId: string;
const engaged: string[] = [];

beforeAll(async () => {
  const apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
  sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
  sim.simulator.meta.define({ id: portfolioId, wabaIds: [wabaId], numbers: [ourNumber] });
  const sender = await request('POST', '/v1/senders', {
    nickname: 'Warm-up', whatsappNumber: `+${ourNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId, portfolioId,
  });
  expect(sender.statusCode, sender.body).toBe(201);
  senderId = sender.json<{ senderId: string }>().senderId;
  const template = await request('POST', '/v1/templates', { senderId, name: 'warm_hello', language: 'en', category: 'MARKETING', body: { text: 'Hello from us, glad to have you.' } });
  templateId = template.json<{ templateId: string }>().templateId;
  expect((await request('POST', `/v1/templates/${templateId}/submit`)).statusCode).toBe(202);
  for (let waited = 0; (await request('GET', `/v1/templates/${templateId}`)).json<{ status: string }>().status !== 'APPROVED'; waited += 100) {
    if (waited > 20_000) throw new Error('the template was not approved');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  for (let i = 0; i < 300; i++) {
    const created = await request('POST', '/v1/contacts', { whatsappNumber: `+4478${String(60_000_000 + i)}`, attributes: { segment: 'warm' }, consent: { marketing: true, proof: 'double opt-in' } });
    expect(created.statusCode).toBe(201);
  }
  // Two contacts wrote to us lately: they are the most engaged.
  for (const i of [250, 260]) {
    const from = `4478${String(60_000_000 + i)}`;
    expect((await fetch(`${sim.url}/_sim/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: ourNumber, from, text: 'Hi there' }) })).status).toBe(201);
    engaged.push(`+${from}`);
  }
  const inbound = () => fixture.database.db.selectFrom('inbound_messages').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  for (let waited = 0; Number((await inbound()).n) < 2; waited += 100) {
    if (waited > 10_000) throw new Error('the inbound messages were not stored');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

describe('a warm-up campaign', () => {
  it('needs a sender in a portfolio', async () => {
    const bare = await request('POST', '/v1/senders', { nickname: 'Bare', whatsappNumber: '+447911123412', apiKey: 'k7654321', apiSecret: 'secret-x' });
    const refused = await request('POST', '/v1/campaigns', { name: 'No portfolio', senderId: bare.json<{ senderId: string }>().senderId, templateId, audience: { kind: 'consented' }, warmup: true });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'warmup' })]));
  });

  it('sends to the most engaged first, draws what the governor paces, and climbs the portfolio from 250 to 2K', { timeout: 90_000 }, async () => {
    expect((await request('POST', '/v1/warmups', { portfolioId, quality: 'GREEN' })).statusCode).toBe(202);
    const created = await request('POST', '/v1/campaigns', { name: 'Warm-up', senderId, templateId, audience: { kind: 'filter', attributes: { segment: 'warm' } }, warmup: true });
    expect(created.statusCode, created.body).toBe(201);
    const { campaignId } = created.json<{ campaignId: string }>();

    await expect.poll(async () => (await request('GET', `/v1/campaigns/${campaignId}/messages?limit=2`)).json<{ items: unknown[] }>().items, { timeout: 20_000 }).toHaveLength(2);
    const firstTwo = (await request('GET', `/v1/campaigns/${campaignId}/messages?limit=2`)).json<{ items: { recipient: string }[] }>().items.map((m) => m.recipient);
    expect(firstTwo.sort()).toEqual([...engaged].sort());

    // Day one: the governor paces 50 (a fifth of 250), and the campaign takes exactly that (the two who
    // wrote to us are inside their service window: free). Then it waits for quota.
    await expect.poll(() => sim.simulator.ledger.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(52);
    const firstAt = Math.min(...sim.simulator.ledger.map((entry) => Date.parse(entry.acceptedAt)));
    const dayOne = sim.simulator.ledger.filter((entry) => Date.parse(entry.acceptedAt) < firstAt + 5_000 && !engaged.includes(`+${entry.to}`));
    expect(dayOne).toHaveLength(50);

    // Day two adds 75: 125 is half of 250, and the simulated Meta upgrades within 6 simulated hours.
    await expect.poll(() => sim.simulator.meta.view(portfolioId)!.limit, { timeout: 60_000, interval: 500 }).toBe(2_000);
    await expect.poll(async () => (await request('GET', `/v1/warmups/${portfolioId}`)).json<{ limit: number }>().limit, { timeout: 15_000 }).toBe(2_000);
    expect(sim.simulator.meta.view(portfolioId)!.rejected).toBe(0);
    const sentTo = sim.simulator.ledger.map((entry) => entry.to);
    expect(new Set(sentTo).size).toBe(sentTo.length); // one message per recipient

    await request('POST', `/v1/campaigns/${campaignId}/cancel`);
    await request('POST', `/v1/warmups/${portfolioId}/cancel`);
  });
});

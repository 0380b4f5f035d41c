// The warm-up against the simulator's Meta, at TIME_SCALE 8,640 (a day is 10
// seconds): sends the quota ledger allows go out through the real SDK, the
// simulated Meta counts them, upgrades the portfolio and lowers its quality on
// blocks, and tells the engine by signed webhooks to /webhooks/meta or, when
// those do not arrive, through the Graph API the governor polls. The first two
// cases refuse the governor's polls (a wrong token), so only webhooks carry Meta.
import { beforeAll, describe, expect, it } from 'vitest';
import { QuotaLedger } from '../../db/quota.ts';
import { createMessenger, type Messenger } from '../../vonage/messenger.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const timeScale = 8_640;
const appSecret = 'meta-app-secret-simulated';
const graphToken = 'graph-token-for-the-governor';
const taskQueue = uniqueTaskQueue('warmup-meta');
const fixture = useApiFixture({ meta: { appSecret }, taskQueue, timeScale });
const sim = useSimulator({ timeScale, metaAccessToken: graphToken });
useEngineWorker(fixture, () => sim.url, taskQueue, () => ({ metaGraph: { baseUrl: `${sim.url}/graph/v23.0`, accessToken: graphToken } }));

const portfolioId = `6${String(Date.now()).slice(-9)}`;
const wabaId = `7${String(Date.now()).slice(-9)}`;
const ourNumber = '447911123654';
const account = makeTestAccount({ numbers: [ourNumber] });
let apiUrl: string;
let senderId: string;
let messenger: Messenger;

beforeAll(async () => {
  apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status` });
  sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
  const created = await fixture.api.request({
    method: 'POST', url: '/v1/senders',
    payload: { nickname: 'Simulated Meta', whatsappNumber: `+${ourNumber}`, apiKey: account.apiKey, apiSecret: account.apiSecret, signatureSecret: account.signatureSecret, wabaId, portfolioId },
  });
  expect(created.statusCode).toBe(201);
  senderId = created.json<{ senderId: string }>().senderId;
  const defined = await fetch(`${sim.url}/_sim/portfolios/${portfolioId}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wabaIds: [wabaId], numbers: [`+${ourNumber}`] }),
  });
  expect(await defined.json()).toMatchObject({ limit: 250, quality: 'GREEN', uniqueInWindow: 0 });
  messenger = createMessenger({ apiKey: account.apiKey, apiSecret: account.apiSecret }, { apiHost: sim.url, timeoutMs: 5_000 });
  sim.simulator.metaAccessToken = 'not-the-governors-token';
});

const policyRow = () => fixture.database.db.selectFrom('portfolio_quotas').selectAll().where('portfolio_id', '=', portfolioId).executeTakeFirst();

const warmup = async () => (await fixture.api.request({ method: 'GET', url: `/v1/warmups/${portfolioId}` })).json<{ limit: number | null; quality: string; sendingAllowed: boolean }>();
const metaView = () => sim.simulator.meta.view(portfolioId)!;
let nextRecipient = 0;
const freshRecipients = (n: number) => Array.from({ length: n }, () => `+4478${String(40_000_000 + nextRecipient++)}`);

/** What a campaign will do: ask the ledger, send to those it may, through the real SDK. */
async function sendAllowed(recipients: string[]): Promise<string[]> {
  const grant = await new QuotaLedger(fixture.database.db).reserve({ portfolioId, senderId, consumer: 'test-campaign', recipients });
  const allowed = [...grant.counted, ...grant.free];
  await Promise.all(allowed.map((to, i) => messenger.send({ kind: 'template', to, from: `+${ourNumber}`, clientRef: `warmup-test:${to}:${i}`, name: 'hello', locale: 'en_US', parameters: [] })));
  return allowed;
}

describe('warm-up against the simulated Meta', () => {
  it('sends within the paced allowance cross half the limit; Meta upgrades within 6 simulated hours, announces it signed, and the governor follows', { timeout: 90_000 }, async () => {
    expect((await fixture.api.request({ method: 'POST', url: '/v1/warmups', payload: { portfolioId, quality: 'GREEN' } })).statusCode).toBe(202);
    await expect.poll(async () => (await policyRow())?.sending_allowed, { timeout: 15_000 }).toBe(true);

    const deadline = Date.now() + 60_000;
    while (metaView().limit === 250 && Date.now() < deadline) {
      await sendAllowed(freshRecipients(25));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(metaView().limit).toBe(2_000);
    expect(metaView().rejected).toBe(0); // the engine never pushed Meta past its limit
    await expect.poll(async () => (await warmup()).limit, { timeout: 10_000 }).toBe(2_000);
    const announced = sim.simulator.webhooks.deliveries.filter((d) => d.kind === 'meta' && d.body.includes('business_capability_update'));
    expect(announced.map((d) => JSON.parse(d.body) as { entry: { id: string; changes: { value: unknown }[] }[] }).map((b) => [b.entry[0]!.id, b.entry[0]!.changes[0]!.value]))
      .toContainEqual([wabaId, expect.objectContaining({ max_daily_conversations_per_business: 'TIER_2K' })]);
    await expect.poll(() => announced[0]!.attempts.at(-1)?.statusCode, { timeout: 5_000 }).toBe(200);
  });

  it('recipients who block lower Meta\'s quality: the governor stops sends on RED and resumes when quality recovers', { timeout: 90_000 }, async () => {
    const blockers = freshRecipients(10);
    for (const number of blockers) sim.simulator.recipients.set(number.slice(1), { outcome: 'read', feedback: 'block' });
    await sendAllowed(blockers);
    expect(metaView().quality).toBe('RED');
    await expect.poll(async () => (await warmup()).quality, { timeout: 10_000 }).toBe('RED');
    await expect.poll(async () => (await policyRow())?.sending_allowed, { timeout: 10_000 }).toBe(false);
    expect(await sendAllowed(freshRecipients(5))).toEqual([]); // the ledger holds every send

    // The feedback ages out of Meta's window (a simulated day): quality recovers and so do sends.
    await expect.poll(async () => (await warmup()).quality, { timeout: 40_000, interval: 500 }).toBe('GREEN');
    await expect.poll(async () => (await sendAllowed(freshRecipients(1))).length, { timeout: 10_000 }).toBe(1);
  });

  it('when Meta\'s webhooks do not reach us, the Graph API poll carries limit and quality changes', { timeout: 60_000 }, async () => {
    sim.simulator.metaWebhook = undefined;
    sim.simulator.metaAccessToken = graphToken;
    const patch = (body: object) => fetch(`${sim.url}/_sim/portfolios/${portfolioId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await patch({ quality: 'YELLOW', limit: 10_000 })).status).toBe(200);
    await expect.poll(async () => await warmup(), { timeout: 15_000 }).toMatchObject({ quality: 'YELLOW', limit: 10_000 });
    expect(sim.simulator.webhooks.deliveries.filter((d) => d.kind === 'meta' && d.body.includes('TIER_10K'))).toEqual([]);

    const refused = await fetch(`${sim.url}/graph/v23.0/${wabaId}/phone_numbers`, { headers: { authorization: 'Bearer wrong' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 190, type: 'OAuthException' } });
    const listed = await fetch(`${sim.url}/graph/v23.0/${wabaId}/phone_numbers?fields=quality_rating,whatsapp_business_manager_messaging_limit`, { headers: { authorization: `Bearer ${graphToken}` } });
    expect(await listed.json()).toMatchObject({ data: [{ id: expect.any(String), quality_rating: 'YELLOW', whatsapp_business_manager_messaging_limit: 'TIER_10K' }] });
  });

  it('a warm portfolio sending its whole limit through two windows is never refused by Meta', { timeout: 60_000 }, async () => {
    const fullPortfolio = `6${String(Date.now() + 1).slice(-9)}`;
    const fullNumber = '447911123656';
    sim.simulator.accounts.register({ ...account, apiKey: `${account.apiKey}w`, numbers: [fullNumber] });
    const created = await fixture.api.request({
      method: 'POST', url: '/v1/senders',
      payload: { nickname: 'Warm line', whatsappNumber: `+${fullNumber}`, apiKey: `${account.apiKey}w`, apiSecret: account.apiSecret, wabaId: '77', portfolioId: fullPortfolio },
    });
    const fullSender = created.json<{ senderId: string }>().senderId;
    sim.simulator.meta.define({ id: fullPortfolio, wabaIds: ['77'], numbers: [fullNumber], limit: 250 });
    expect((await fixture.api.request({ method: 'POST', url: '/v1/warmups', payload: { portfolioId: fullPortfolio, currentLimit: 250, targetLimit: 250, quality: 'GREEN' } })).statusCode).toBe(202);
    const row = () => fixture.database.db.selectFrom('portfolio_quotas').selectAll().where('portfolio_id', '=', fullPortfolio).executeTakeFirst();
    await expect.poll(async () => (await row())?.allowance, { timeout: 15_000 }).toBe(250); // WARM: the whole limit

    const sender = createMessenger({ apiKey: `${account.apiKey}w`, apiSecret: account.apiSecret }, { apiHost: sim.url, timeoutMs: 5_000 });
    let sent = 0;
    const until = Date.now() + 25_000; // two and a half simulated days
    while (Date.now() < until) {
      const grant = await new QuotaLedger(fixture.database.db).reserve({ portfolioId: fullPortfolio, senderId: fullSender, consumer: 'full', recipients: freshRecipients(40) });
      await Promise.all(grant.counted.map((to) => sender.send({ kind: 'template', to, from: `+${fullNumber}`, clientRef: `full:${to}`, name: 'hello', locale: 'en_US', parameters: [] })));
      sent += grant.counted.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(sent).toBeGreaterThan(2 * 250); // the limit was used in full, window after window
    expect(sim.simulator.meta.view(fullPortfolio)).toMatchObject({ rejected: 0 });
  });

  it('past the limit Meta refuses the send: the status webhook says rejected with 131048', { timeout: 30_000 }, async () => {
    const tiny = `${portfolioId}-tiny`;
    const otherNumber = '447911123655';
    sim.simulator.accounts.register({ ...account, apiKey: `${account.apiKey}x`, numbers: [otherNumber], statusUrl: `${apiUrl}/webhooks/vonage/status` });
    sim.simulator.meta.define({ id: tiny, wabaIds: ['999'], numbers: [otherNumber], limit: 2 });
    const other = createMessenger({ apiKey: `${account.apiKey}x`, apiSecret: account.apiSecret }, { apiHost: sim.url, timeoutMs: 5_000 });
    const sent: { messageUuid: string }[] = [];
    for (const to of freshRecipients(3)) sent.push(await other.send({ kind: 'template', to, from: `+${otherNumber}`, clientRef: `tiny:${to}`, name: 'hello', locale: 'en_US', parameters: [] }));
    expect(sim.simulator.meta.view(tiny)).toMatchObject({ uniqueInWindow: 2, rejected: 1 });
    const rejected = sim.simulator.ledger.find((entry) => entry.messageUuid === sent[2]!.messageUuid)!;
    expect(rejected.metaRejection).toMatchObject({ code: '131048' });
    await expect.poll(() => sim.simulator.webhooks.deliveries.find((d) => d.messageUuid === sent[2]!.messageUuid)?.event, { timeout: 5_000 }).toBe('rejected');
    expect(sim.simulator.webhooks.deliveries.find((d) => d.messageUuid === sent[2]!.messageUuid)!.body).toContain('131048');
  });
});

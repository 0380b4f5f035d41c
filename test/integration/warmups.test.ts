// /v1/warmups and Meta's limit events end to end: the API starts the governor
// on the dev server, the real activities write its policy to the quota ledger
// that sends consume, and signed Meta webhooks move it (duplicates, stale and
// unknown values tolerated; bad signatures change nothing).
import { describe, expect, it } from 'vitest';
import { QuotaLedger } from '../../db/quota.ts';
import { metaSignature } from '../../api/meta-webhooks.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const appSecret = 'meta-app-secret-for-warmups';
const taskQueue = uniqueTaskQueue('warmups');
const fixture = useApiFixture({ meta: { appSecret }, taskQueue });
// The governor makes no Vonage calls: the worker's Vonage host is never reached.
useEngineWorker(fixture, () => 'http://127.0.0.1:9', taskQueue);

const portfolioId = String(Date.now()).slice(-9);
const wabaId = `8${portfolioId}`;
const senderNumber = '+447911123789';
const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
const warmup = async () => (await request('GET', `/v1/warmups/${portfolioId}`)).json();
const policyRow = () => fixture.database.db.selectFrom('portfolio_quotas').selectAll().where('portfolio_id', '=', portfolioId).executeTakeFirst();

let eventSecond = Math.floor(Date.now() / 1000);
function metaEvent(field: string, value: object, time = ++eventSecond) {
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: wabaId, time, changes: [{ field, value }] }] });
  return (signature = metaSignature(body, appSecret)) => fixture.api.app.inject({
    method: 'POST', url: '/webhooks/meta', payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
}

describe('warm-ups', () => {
  it('starts once per portfolio, paces the first day, and the ledger enforces it', async () => {
    const created = await request('POST', '/v1/senders', {
      nickname: 'Warm-up line', whatsappNumber: senderNumber, apiKey: 'abcd1234', apiSecret: 'secret-123456', wabaId, portfolioId,
    });
    expect(created.statusCode).toBe(201);
    const first = await request('POST', '/v1/warmups', { portfolioId, quality: 'GREEN' });
    const second = await request('POST', '/v1/warmups', { portfolioId });
    expect(first.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(first.json()).toEqual({ portfolioId, workflowId: `warmup/${portfolioId}` });

    await expect.poll(async () => (await policyRow())?.allowance, { timeout: 15_000 }).toBe(50);
    expect(await policyRow()).toMatchObject({ messaging_limit: 250, sending_allowed: true });
    expect(await warmup()).toMatchObject({
      status: 'WARMING', limit: 250, targetLimit: 100_000, quality: 'GREEN', sendingAllowed: true, allowance: 50,
      senderNumbers: [senderNumber], nextRung: { limit: 2_000, threshold: 125, eligible: false },
    });

    const recipients = Array.from({ length: 60 }, (_, i) => `+4478${String(90_000_000 + i)}`);
    const grant = await new QuotaLedger(fixture.database.db).reserve({ portfolioId, senderId: null, consumer: 'test', recipients });
    expect(grant.counted).toHaveLength(50);
    expect(grant.deferred).toEqual(recipients.slice(50));
  });

  it('follows Meta: bad signatures change nothing; stale, duplicate and unknown events are tolerated', async () => {
    const red = metaEvent('phone_number_quality_update', { display_phone_number: senderNumber.slice(1), event: 'FLAGGED', current_limit: 'TIER_250' });
    expect((await red('sha256=0000')).statusCode).toBe(401);
    expect((await warmup()).quality).toBe('GREEN');

    expect((await red()).json()).toEqual({ received: true, forwarded: 1 });
    expect((await red()).json()).toEqual({ received: true, forwarded: 1 }); // Meta retries: the same event again
    await expect.poll(async () => (await policyRow())?.sending_allowed, { timeout: 15_000 }).toBe(false);
    expect(await warmup()).toMatchObject({ quality: 'RED', sendingAllowed: false, heldBecause: expect.stringContaining('RED') });

    // An older "recovered" event arriving late does not undo the newer RED.
    await metaEvent('phone_number_quality_update', { display_phone_number: senderNumber.slice(1), event: 'UNFLAGGED' }, eventSecond - 100)();
    expect((await metaEvent('business_capability_update', { max_daily_conversations_per_business: 'TIER_SOMETHING_NEW' })()).json()).toEqual({ received: true, forwarded: 0 });
    await metaEvent('business_capability_update', { max_daily_conversations_per_business: 'TIER_2K' })();
    await expect.poll(async () => (await warmup()).limit, { timeout: 15_000 }).toBe(2_000);
    expect((await warmup()).quality).toBe('RED');

    await metaEvent('phone_number_quality_update', { display_phone_number: senderNumber.slice(1), event: 'UNFLAGGED' })();
    await expect.poll(async () => (await policyRow())?.allowance, { timeout: 15_000 }).toBe(400);
    expect(await policyRow()).toMatchObject({ messaging_limit: 2_000, sending_allowed: true });
  });

  it('pauses, resumes and cancels, refusing what makes no sense', async () => {
    expect((await request('POST', `/v1/warmups/${portfolioId}/pause`)).json()).toMatchObject({ status: 'PAUSED' });
    await expect.poll(async () => (await policyRow())?.sending_allowed, { timeout: 15_000 }).toBe(false);
    const again = await request('POST', `/v1/warmups/${portfolioId}/pause`);
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('already paused');
    expect((await request('POST', `/v1/warmups/${portfolioId}/resume`)).json()).toMatchObject({ status: 'WARMING' });
    await expect.poll(async () => (await policyRow())?.sending_allowed, { timeout: 15_000 }).toBe(true);
    expect((await request('POST', `/v1/warmups/${portfolioId}/cancel`)).json()).toMatchObject({ status: 'CANCELLED' });
    await expect.poll(async () => (await policyRow())?.sending_allowed, { timeout: 15_000 }).toBe(false);
    expect((await request('POST', `/v1/warmups/${portfolioId}/resume`)).statusCode).toBe(409);
  });

  it('answers 404 for a portfolio without a warm-up and 422 naming the field for a bad one', async () => {
    expect((await request('GET', '/v1/warmups/123123123123')).statusCode).toBe(404);
    expect((await request('POST', '/v1/warmups/123123123123/pause')).statusCode).toBe(404);
    const bad = await request('POST', '/v1/warmups', { portfolioId: 'not-digits', targetLimit: 0 });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['portfolioId', 'targetLimit']);
  });
});

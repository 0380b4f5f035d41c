// Campaigns end to end: the API creates the campaign and its workflow, the
// engine worker waits for the template's approval, snapshots the audience and
// sends through the real SDK to the simulator, whose ledger is the ground
// truth: one message per consented recipient, nothing to anyone else, even
// with faults injected; an opt-out during the run stops that recipient's send.
import { beforeAll, describe, expect, it } from 'vitest';
import { CampaignsRepository } from '../../db/campaigns.ts';
import { campaignWorkflowId, skipReasons, type CampaignCounts } from '../../domain/campaign.ts';
import type { campaign } from '../../workflows/campaign.ts';
import { campaignProgress } from '../../workflows/campaign-messages.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const appSecret = 'meta-app-secret-campaigns';
const taskQueue = uniqueTaskQueue('campaigns');
const fixture = useApiFixture({ meta: { appSecret }, taskQueue });
const sim = useSimulator();
useEngineWorker(fixture, () => sim.url, taskQueue);

const ourNumber = '447911123321';
const wabaId = '5550001';
const account = makeTestAccount({ numbers: [ourNumber], wabaIds: [wabaId] });
let senderId: string;
let templateId: string;
let apiUrl: string;

const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
let nextNumber = 0;
async function contact(segment: string, options: { consent?: boolean; code?: string | null; name?: string; timeZone?: string } = {}): Promise<{ contactId: string; number: string }> {
  const number = `+4478${String(50_000_000 + nextNumber++)}`;
  const created = await request('POST', '/v1/contacts', {
    whatsappNumber: number,
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.name ? { displayName: options.name } : {}),
    attributes: { segment, ...(options.code === null ? {} : { code: options.code ?? `C-${nextNumber}` }) },
    ...(options.consent === false ? {} : { consent: { marketing: true, proof: 'signup form v3' } }),
  });
  expect(created.statusCode).toBe(201);
  return { contactId: created.json<{ contactId: string }>().contactId, number };
}

const ledgerFor = (number: string) => sim.simulator.ledger.filter((entry) => entry.to === number.slice(1));
const campaignOf = async (campaignId: string) => (await request('GET', `/v1/campaigns/${campaignId}`)).json<{ status: string; statusReason: string | null; progress: CampaignCounts }>();
const create = async (payload: object) => {
  const created = await request('POST', '/v1/campaigns', { name: 'Spring', senderId, templateId, parameters: [{ field: 'displayName', default: 'friend' }, { attribute: 'code' }], ...payload });
  expect(created.statusCode, created.body).toBe(201);
  return created.json<{ campaignId: string; workflowId: string; status: string; quietHours: object | null }>();
};

beforeAll(async () => {
  apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
  sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
  const sender = await request('POST', '/v1/senders', {
    nickname: 'Campaigns', whatsappNumber: `+${ourNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId,
  });
  expect(sender.statusCode, sender.body).toBe(201);
  senderId = sender.json<{ senderId: string }>().senderId;
  const template = await request('POST', '/v1/templates', {
    senderId, name: 'spring_offer', language: 'en_US', category: 'MARKETING', body: { text: 'Hello {{1}}, your code {{2}} is ready.', examples: ['Ana', 'C-1'] },
  });
  expect(template.statusCode, template.body).toBe(201);
  templateId = template.json<{ templateId: string }>().templateId;
});

describe('campaigns', () => {
  it('refuses a campaign whose parameters do not fit the template, naming the field', async () => {
    const refused = await request('POST', '/v1/campaigns', { name: 'Bad', senderId, templateId, audience: { kind: 'consented' }, parameters: [{ value: 'only one' }] });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([expect.objectContaining({ field: 'parameters' })]);
    const unknown = await request('POST', '/v1/campaigns', { name: 'Bad', senderId, templateId: crypto.randomUUID(), audience: { kind: 'consented' } });
    expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'templateId' })]);
  });

  it('waits for the template, then sends one message per consented recipient and skips the rest with reasons', { timeout: 60_000 }, async () => {
    const consented = await Promise.all(Array.from({ length: 12 }, (_, i) => contact('spring', { name: `Person ${i}` })));
    const unnamed = await contact('spring', { code: 'C-NONAME' });
    const noCode = await contact('spring', { code: null });
    const refused = await Promise.all([contact('spring', { consent: false }), contact('spring', { consent: false })]);
    const otherSegment = await contact('autumn');

    // Created before the template is even submitted: it waits for the approval.
    const created = await create({ audience: { kind: 'filter', attributes: { segment: 'spring' } } });
    expect(created).toMatchObject({ status: 'WAITING_FOR_TEMPLATE', workflowId: campaignWorkflowId(created.campaignId) });
    expect((await request('POST', `/v1/templates/${templateId}/submit`)).statusCode).toBe(202);

    await expect.poll(async () => (await campaignOf(created.campaignId)).status, { timeout: 40_000 }).toBe('COMPLETED');
    for (const { number } of [...consented, unnamed]) expect(ledgerFor(number)).toHaveLength(1);
    for (const { number } of [noCode, ...refused, otherSegment]) expect(ledgerFor(number)).toHaveLength(0);
    const first = ledgerFor(consented[0]!.number)[0]!;
    expect(first.request).toMatchObject({ message_type: 'template', template: { name: 'spring_offer', parameters: ['Person 0', expect.stringMatching(/^C-/)] } });
    expect(ledgerFor(unnamed.number)[0]!.request).toMatchObject({ template: { parameters: ['friend', 'C-NONAME'] } });

    // Delivery follows from the status webhooks.
    await expect.poll(async () => (await campaignOf(created.campaignId)).progress.read, { timeout: 15_000 }).toBe(13);
    expect((await campaignOf(created.campaignId)).progress).toMatchObject({
      audience: 14, sent: 13, delivered: 13, pending: 0, failed: 0, skipped: 1,
      skippedByReason: { [`${skipReasons.missingParameter}: 2`]: 1 },
    });
    const page = (await request('GET', `/v1/campaigns/${created.campaignId}/messages?limit=10`)).json<{ items: { state: string; clientRef?: string }[]; nextCursor: string }>();
    expect(page.items).toHaveLength(10);
    const rest = (await request('GET', `/v1/campaigns/${created.campaignId}/messages?limit=10&cursor=${page.nextCursor}`)).json<{ items: { state: string }[]; nextCursor: string | null }>();
    expect(rest.items).toHaveLength(4);
    expect(rest.nextCursor).toBeNull();
    expect([...page.items, ...rest.items].filter((m) => m.state === 'SENT')).toHaveLength(13);
  });

  it('an opt-out during the run stops that recipient\'s message; pause and resume hold and continue', { timeout: 60_000 }, async () => {
    const people = await Promise.all(Array.from({ length: 8 }, () => contact('slow')));
    const created = await create({ audience: { kind: 'filter', attributes: { segment: 'slow' } }, ratePerSecond: 2 });
    await expect.poll(() => people.filter((p) => ledgerFor(p.number).length > 0).length, { timeout: 20_000 }).toBeGreaterThan(0);
    const last = people.at(-1)!;
    expect((await request('POST', `/v1/contacts/${last.contactId}/consents`, { scope: 'MARKETING', granted: false, proof: 'STOP by phone' })).statusCode).toBe(201);

    expect((await request('POST', `/v1/campaigns/${created.campaignId}/pause`)).json()).toMatchObject({ status: 'PAUSED' });
    expect((await request('POST', `/v1/campaigns/${created.campaignId}/pause`)).statusCode).toBe(409);
    await expect.poll(async () => (await campaignOf(created.campaignId)).status, { timeout: 20_000 }).toBe('PAUSED');
    expect((await request('POST', `/v1/campaigns/${created.campaignId}/resume`)).json()).toMatchObject({ status: 'SENDING' });

    await expect.poll(async () => (await campaignOf(created.campaignId)).status, { timeout: 30_000 }).toBe('COMPLETED');
    expect(ledgerFor(last.number)).toHaveLength(0);
    for (const person of people.slice(0, -1)) expect(ledgerFor(person.number)).toHaveLength(1);
    expect((await campaignOf(created.campaignId)).progress.skippedByReason).toEqual({ [skipReasons.noConsent]: 1 });
    expect((await request('POST', `/v1/campaigns/${created.campaignId}/resume`)).statusCode).toBe(409); // ended

    // The workflow's own progress query (what the Web UI shows) has the run's final counts, delivery included:
    // the first sends left seconds before the end, and their delivered webhooks come half a second after.
    const progress = await fixture.temporal.client.workflow.getHandle(created.workflowId).query(campaignProgress);
    expect(progress).toMatchObject({ status: 'COMPLETED', audience: 8, sent: 7, pending: 0, failed: 0, skipped: 1, skippedByReason: { [skipReasons.noConsent]: 1 } });
    expect(progress.delivered).toBeGreaterThan(0);
    expect(progress.read).toBeLessThanOrEqual(progress.delivered);
    expect(Date.parse(progress.countedAt!)).toBeGreaterThan(Date.parse(ledgerFor(people[0]!.number)[0]!.acceptedAt));
  });

  it('exactly once through 5xx, 429 and answers dropped after acceptance (ambiguous, reconciled by client_ref)', { timeout: 90_000 }, async () => {
    const people = await Promise.all(Array.from({ length: 40 }, () => contact('faulty')));
    sim.simulator.faults = { serverErrorRate: 0.15, throttleRate: 0.1, retryAfterSeconds: 0, dropAfterAcceptRate: 0.15, latencyMs: { min: 0, max: 5 }, seed: 7 };
    try {
      // Started like the API does, with a short reconciliation deadline and small batches.
      const campaignRow = await new CampaignsRepository(fixture.database.db).create({
        name: 'Faulty', senderId, templateId, audience: { kind: 'filter', attributes: { segment: 'faulty' } },
        parameters: [{ value: 'you' }, { attribute: 'code' }], schedule: { kind: 'now' }, warmup: false,
      }, 'WAITING_FOR_TEMPLATE');
      const handle = await fixture.temporal.client.workflow.start<typeof campaign>('campaign', {
        workflowId: campaignRow.workflowId, taskQueue,
        // A tiny history budget: the run continues as new many times on the way.
        args: [{ campaignId: campaignRow.campaignId, options: { batchSize: 7, sendForMs: 0, concurrency: 4, reconcileDeadlineMs: 3_000, continueAfterEvents: 60 } }],
      });
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'COMPLETED', failed: 0 });
      expect(result.ambiguous).toBe(0); // the final count: every ambiguous send was settled
      const dropped = people.flatMap((p) => ledgerFor(p.number)).filter((entry) => entry.answerDropped);
      expect(dropped.length).toBeGreaterThan(0); // the faults did bite: accepted sends whose answer never came
      expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId); // it did continue as new
      expect(await campaignOf(campaignRow.campaignId)).toMatchObject({ status: 'COMPLETED', statusReason: null });
    } finally {
      sim.simulator.faults = { ...sim.simulator.faults, serverErrorRate: 0, throttleRate: 0, dropAfterAcceptRate: 0 };
    }
    for (const person of people) expect(ledgerFor(person.number), person.number).toHaveLength(1);
  });

  it('a recurring campaign runs on its schedule; each run reaches those consented at that run, once', { timeout: 60_000 }, async () => {
    const [ana, bruno] = await Promise.all([contact('weekly'), contact('weekly')]);
    const created = await create({ audience: { kind: 'filter', attributes: { segment: 'weekly' } }, schedule: { kind: 'recurring', cron: '0 9 1 1 *', timeZone: 'Europe/London' } });
    expect(created.status).toBe('SCHEDULED');
    const schedule = fixture.temporal.client.schedule.getHandle(created.workflowId);
    expect((await schedule.describe()).spec).toMatchObject({ timezone: 'Europe/London' });

    await schedule.trigger();
    await expect.poll(() => ledgerFor(ana.number).length + ledgerFor(bruno.number).length, { timeout: 20_000 }).toBe(2);
    await expect.poll(async () => (await campaignOf(created.campaignId)).status, { timeout: 20_000 }).toBe('SCHEDULED');
    // The run writes SCHEDULED just before it ends; a trigger in that instant would meet the same workflow id still running.
    await expect.poll(async () => (await schedule.describe()).info.runningActions.length, { timeout: 20_000 }).toBe(0);
    // Runs are named by the second they start, and Temporal refuses to reuse a closed run's id within a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // Between runs Bruno withdraws and Carla joins: the next run follows.
    await request('POST', `/v1/contacts/${bruno.contactId}/consents`, { scope: 'MARKETING', granted: false });
    const carla = await contact('weekly');
    await schedule.trigger();
    await expect.poll(() => ledgerFor(carla.number).length, { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => (await campaignOf(created.campaignId)).progress.pending, { timeout: 20_000 }).toBe(0);
    expect(ledgerFor(ana.number)).toHaveLength(2); // once per run
    expect(ledgerFor(bruno.number)).toHaveLength(1);
    const runs = new Set((await request('GET', `/v1/campaigns/${created.campaignId}/messages`)).json<{ items: { messageId: string }[] }>().items.map((m) => m.messageId));
    expect(runs.size).toBe(4); // Ana and Bruno in the first run's list, Ana and Carla in the second's

    expect((await request('POST', `/v1/campaigns/${created.campaignId}/pause`)).json()).toMatchObject({ status: 'PAUSED' });
    expect((await schedule.describe()).state.paused).toBe(true);
    expect((await request('POST', `/v1/campaigns/${created.campaignId}/cancel`)).json()).toMatchObject({ status: 'CANCELLED' });
    await expect(schedule.describe()).rejects.toThrow();
    expect((await request('POST', `/v1/campaigns/${created.campaignId}/resume`)).statusCode).toBe(409);
  });

  it('two campaigns on one portfolio together never take it past its limit: the rest waits for quota', { timeout: 60_000 }, async () => {
    // A second number in a portfolio that is warm at 250: the governor's allowance is the whole limit.
    const portfolioId = `4${String(Date.now()).slice(-9)}`;
    const limitedNumber = '447911123322';
    sim.simulator.accounts.register({ ...account, numbers: [ourNumber, limitedNumber], statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
    const limited = await request('POST', '/v1/senders', {
      nickname: 'Limited', whatsappNumber: `+${limitedNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId, portfolioId,
    });
    expect(limited.statusCode, limited.body).toBe(201);
    sim.simulator.meta.define({ id: portfolioId, wabaIds: [wabaId], numbers: [limitedNumber], limit: 250 });
    expect((await request('POST', '/v1/warmups', { portfolioId, currentLimit: 250, targetLimit: 250, quality: 'GREEN' })).statusCode).toBe(202);
    const policy = () => fixture.database.db.selectFrom('portfolio_quotas').select('allowance').where('portfolio_id', '=', portfolioId).executeTakeFirst();
    await expect.poll(async () => (await policy())?.allowance, { timeout: 15_000 }).toBe(250);

    const first = await Promise.all(Array.from({ length: 200 }, () => contact('limit-a')));
    const second = await Promise.all(Array.from({ length: 200 }, () => contact('limit-b')));
    const senderOfLimited = limited.json<{ senderId: string }>().senderId;
    const [a, b] = await Promise.all([
      create({ senderId: senderOfLimited, audience: { kind: 'filter', attributes: { segment: 'limit-a' } } }),
      create({ senderId: senderOfLimited, audience: { kind: 'filter', attributes: { segment: 'limit-b' } } }),
    ]);
    const sentTo = () => [...first, ...second].filter((p) => ledgerFor(p.number).length > 0).length;
    await expect.poll(sentTo, { timeout: 30_000 }).toBe(250);
    await expect.poll(async () => (await campaignOf(a.campaignId)).statusReason ?? (await campaignOf(b.campaignId)).statusReason, { timeout: 15_000 }).toMatch(/waiting for quota/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sentTo()).toBe(250);
    expect(sim.simulator.meta.view(portfolioId)).toMatchObject({ uniqueInWindow: 250, rejected: 0 });
    const pending = (await campaignOf(a.campaignId)).progress.pending + (await campaignOf(b.campaignId)).progress.pending;
    expect(pending).toBe(150);
    for (const { campaignId } of [a, b]) await request('POST', `/v1/campaigns/${campaignId}/cancel`);
    await request('POST', `/v1/warmups/${portfolioId}/cancel`);
  });

  it('quiet hours hold a recipient until their local window opens; others are sent', { timeout: 30_000 }, async () => {
    const hhmm = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString().slice(11, 16);
    const quietHours = { start: hhmm(-60), end: hhmm(60), timeZone: 'UTC' }; // quiet now, in UTC
    const inUtc = await contact('quiet', { timeZone: 'Etc/UTC' });
    const noZone = await contact('quiet');
    const farEast = await contact('quiet', { timeZone: 'Pacific/Kiritimati' }); // UTC+14: mid-afternoon or night there, not now ± 1 h
    const created = await create({ audience: { kind: 'filter', attributes: { segment: 'quiet' } }, quietHours });
    expect(created).toMatchObject({ quietHours });

    await expect.poll(() => ledgerFor(farEast.number).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(async () => (await campaignOf(created.campaignId)).statusReason ?? '', { timeout: 15_000 }).toMatch(/^held until .*quiet hours/);
    expect(ledgerFor(inUtc.number)).toHaveLength(0);
    expect(ledgerFor(noZone.number)).toHaveLength(0);
    const held = (await request('GET', `/v1/campaigns/${created.campaignId}/messages`)).json<{ items: { state: string; reason: string | null }[] }>().items.filter((m) => m.state === 'PENDING');
    expect(held).toHaveLength(2);
    for (const message of held) expect(message.reason).toMatch(/^quiet hours until /);
    await request('POST', `/v1/campaigns/${created.campaignId}/cancel`);
  });

  it('two campaigns of one number share its messages per second', { timeout: 60_000 }, async () => {
    const throttledNumber = '447911123323';
    sim.simulator.accounts.register({ ...account, numbers: [ourNumber, '447911123322', throttledNumber], statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
    const throttled = await request('POST', '/v1/senders', {
      nickname: 'Throttled', whatsappNumber: `+${throttledNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId, throughputMps: 5,
    });
    expect(throttled.json()).toMatchObject({ throughputMps: 5 });
    const people = await Promise.all(Array.from({ length: 24 }, (_, i) => contact(i % 2 ? 'rate-a' : 'rate-b')));
    const throttledId = throttled.json<{ senderId: string }>().senderId;
    await Promise.all(['rate-a', 'rate-b'].map((segment) => create({ senderId: throttledId, audience: { kind: 'filter', attributes: { segment } } })));
    await expect.poll(() => people.filter((p) => ledgerFor(p.number).length > 0).length, { timeout: 30_000 }).toBe(24);

    const times = people.map((p) => Date.parse(ledgerFor(p.number)[0]!.acceptedAt)).sort((a, b) => a - b);
    // At most 5 in any second (the bucket holds one slot, refilled at 5 per second): 24 sends take at least 23 / 5 s.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(4_400);
    // Acceptance times carry each request's own latency on top of its slot's time: one more may fall into a window.
    for (const start of times) expect(times.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(6);
  });

  it('cancel stops the batch in flight and skips what was not sent', { timeout: 30_000 }, async () => {
    const people = await Promise.all(Array.from({ length: 12 }, () => contact('cancel')));
    const created = await create({ audience: { kind: 'list', contactIds: people.map((p) => p.contactId) }, ratePerSecond: 1 });
    await expect.poll(() => people.filter((p) => ledgerFor(p.number).length > 0).length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect((await request('POST', `/v1/campaigns/${created.campaignId}/cancel`)).json()).toMatchObject({ status: 'CANCELLED' });
    await expect.poll(async () => (await campaignOf(created.campaignId)).status, { timeout: 20_000 }).toBe('CANCELLED');
    const { progress } = await campaignOf(created.campaignId);
    expect(progress.sent + progress.skipped).toBe(12);
    expect(progress.skipped).toBeGreaterThan(0);
    expect(progress.skippedByReason[skipReasons.cancelled]).toBe(progress.skipped);
    expect(people.reduce((n, p) => n + ledgerFor(p.number).length, 0)).toBe(progress.sent);
  });
});

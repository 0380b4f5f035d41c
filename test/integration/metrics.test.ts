// Metrics as Prometheus scrapes them: the API's /metrics (request latency,
// webhook intake and lag, the portfolios' limit, allowance, quality and quota
// use) and the worker's endpoint (the Temporal SDK's metrics with our message
// counters beside them), after real traffic through the simulator.
import { Runtime } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWarmupActivities } from '../../activities/warmup.ts';
import { QuotaLedger } from '../../db/quota.ts';
import { SendersRepository } from '../../db/senders.ts';
import { freePort } from '../../scripts/temporal-dev-server.ts';
import { signWebhook } from '../../vonage/webhook-signature.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

// This file's process gets a Temporal runtime that exports Prometheus metrics, as workers/main.ts installs it.
const workerMetricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: new URL(workerMetricsUrl).host } } } });

const taskQueue = uniqueTaskQueue('metrics');
const appSecret = 'meta-app-secret-metrics';
const fixture = useApiFixture({ taskQueue, meta: { appSecret } });
const sim = useSimulator();
useEngineWorker(fixture, () => sim.url, taskQueue);

const ourNumber = '447911123399';
const account = makeTestAccount({ numbers: [ourNumber], wabaIds: ['5550099'] });
let senderId: string;
let templateId: string;

const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
const scrape = async (url: string) => (await fetch(url)).text();
const apiMetrics = async () => (await request('GET', '/metrics')).body;

/** The value of one series, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

beforeAll(async () => {
  const apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  // Meta's template verdict comes by webhook, as in production.
  sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
  const sender = await request('POST', '/v1/senders', {
    nickname: 'Metrics', whatsappNumber: `+${ourNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId: '5550099',
  });
  expect(sender.statusCode, sender.body).toBe(201);
  senderId = sender.json<{ senderId: string }>().senderId;
  const template = await request('POST', '/v1/templates', { senderId, name: 'metrics_notice', language: 'en', category: 'UTILITY', body: { text: 'Your parcel is on its way.' } });
  expect(template.statusCode, template.body).toBe(201);
  templateId = template.json<{ templateId: string }>().templateId;
  const submitted = await request('POST', `/v1/templates/${templateId}/submit`);
  expect(submitted.statusCode, submitted.body).toBe(202);
});

describe('metrics', () => {
  it('the worker counts sent messages by campaign beside the SDK\'s own metrics; the API counts their delivery statuses', { timeout: 60_000 }, async () => {
    const numbers = ['+447850090401', '+447850090402', '+447850090403'];
    sim.simulator.recipients.set(numbers[2]!.slice(1), { outcome: 'rejected', errorCode: '1300' });
    for (const whatsappNumber of numbers) {
      expect((await request('POST', '/v1/contacts', { whatsappNumber, attributes: { segment: 'metrics' }, consent: { utility: true, proof: 'checkout' } })).statusCode).toBe(201);
    }
    const created = (await request('POST', '/v1/campaigns', { name: 'Metrics', senderId, templateId, audience: { kind: 'filter', attributes: { segment: 'metrics' } } })).json<{ campaignId: string }>();
    await expect.poll(async () => (await request('GET', `/v1/campaigns/${created.campaignId}`)).json<{ status: string }>().status, { timeout: 40_000 }).toBe('COMPLETED');

    const text = await scrape(workerMetricsUrl);
    // The simulator accepts a message to a non-WhatsApp number and rejects it later by webhook: all three were sent.
    expect(sample(text, 'wce_messages_sent', { campaign_id: created.campaignId })).toBe(3);
    expect(text).toMatch(/^temporal_activity_execution_latency/m); // the SDK's metrics, same endpoint
    // The rejection comes back as a status webhook: the API counts it.
    await expect.poll(async () => sample(await apiMetrics(), 'wce_message_statuses_total', { status: 'rejected' }), { timeout: 10_000 }).toBe(1);
  });

  it('the API counts webhooks, refuses bad signatures visibly, measures lag and request latency by route pattern', async () => {
    const body = JSON.stringify({ message_uuid: crypto.randomUUID(), to: '447700900123', from: ourNumber, timestamp: new Date(Date.now() - 2_000).toISOString(), status: 'delivered', channel: 'whatsapp' });
    const post = (authorization: string) => fixture.api.app.inject({ method: 'POST', url: '/webhooks/vonage/status', payload: body, headers: { 'content-type': 'application/json', authorization } });
    const before = await apiMetrics();
    const acceptedBefore = sample(before, 'wce_webhook_receipts_total', { kind: 'status', outcome: 'accepted' }) ?? 0;
    const lagCountBefore = sample(before, 'wce_webhook_to_database_lag_seconds_count', { kind: 'status' }) ?? 0;
    const lagSumBefore = sample(before, 'wce_webhook_to_database_lag_seconds_sum', { kind: 'status' }) ?? 0;

    expect((await post(`Bearer ${signWebhook(body, account.signatureSecret, { apiKey: account.apiKey })}`)).statusCode).toBe(200);
    expect((await post(`Bearer ${signWebhook(body, 'not-the-secret-at-all', { apiKey: account.apiKey })}`)).statusCode).toBe(401);
    await request('GET', `/v1/senders/${senderId}`);

    const after = await apiMetrics();
    expect(sample(after, 'wce_webhook_receipts_total', { kind: 'status', outcome: 'accepted' })).toBe(acceptedBefore + 1);
    expect(sample(after, 'wce_webhook_signature_failures_total', { kind: 'status' })).toBe(1);
    expect(sample(after, 'wce_webhook_to_database_lag_seconds_count', { kind: 'status' })).toBe(lagCountBefore + 1);
    expect(sample(after, 'wce_webhook_to_database_lag_seconds_sum', { kind: 'status' })! - lagSumBefore).toBeGreaterThanOrEqual(2);
    // Route patterns, never raw ids: one series however many senders there are.
    expect(sample(after, 'wce_http_request_duration_seconds_count', { method: 'GET', route: '/v1/senders/:senderId', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain(`route="/v1/senders/${senderId}"`);
  });

  it('each governed portfolio\'s limit, allowance, quality and quota use, as its governor\'s last tick recorded them', async () => {
    const ledger = new QuotaLedger(fixture.database.db);
    const portfolioId = 'metrics-portfolio';
    const policy = { sendingAllowed: true, allowance: 100, reason: null, messagingLimit: 250, windowMs: 86_400_000, serviceWindowMs: 86_400_000 };
    await ledger.setPolicy(portfolioId, policy);
    await ledger.reserve({ portfolioId, senderId: null, consumer: 'test', recipients: ['+447700900501', '+447700900502', '+447700900502'] });
    // The governor's tick: the activity writes the policy, measures the window and records what it saw.
    const warmup = createWarmupActivities({ quota: ledger, senders: new SendersRepository(fixture.database.db, fixture.api.secrets) });
    await warmup.syncPortfolioQuota({ portfolioId, policy: null, windowMs: 86_400_000, upgradeWindowMs: 7 * 86_400_000, quality: 'YELLOW' });

    const text = await apiMetrics();
    expect(sample(text, 'wce_portfolio_messaging_limit', { portfolio_id: portfolioId })).toBe(250);
    expect(sample(text, 'wce_portfolio_allowance', { portfolio_id: portfolioId })).toBe(100);
    expect(sample(text, 'wce_portfolio_quota_used', { portfolio_id: portfolioId })).toBe(2);
    expect(sample(text, 'wce_portfolio_sending_allowed', { portfolio_id: portfolioId })).toBe(1);
    expect(sample(text, 'wce_portfolio_quality', { portfolio_id: portfolioId, quality: 'YELLOW' })).toBe(1);
    expect(sample(text, 'wce_portfolio_quality', { portfolio_id: portfolioId, quality: 'GREEN' })).toBe(0);
  });
});

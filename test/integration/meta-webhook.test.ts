// Meta's template status webhooks: verified with the app secret, forwarded to
// the approval workflow as a signal, which acts on it before any poll.
import { beforeAll, describe, expect, it } from 'vitest';
import { templateWorkflowId } from '../../domain/template.ts';
import { metaSignature } from '../../api/meta-webhooks.ts';
import { templateApprovalStatus } from '../../workflows/template-messages.ts';
import type { templateApproval } from '../fixtures/workflows.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { useSimulator } from '../helpers/simulator.ts';
import { seedTemplateWorld, type TemplateWorld } from '../helpers/templates.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const appSecret = 'meta-app-secret-for-tests';
const fixture = useApiFixture({ meta: { appSecret, verifyToken: 'let-me-in' } });
const sim = useSimulator({ statusWebhooks: false });
let world: TemplateWorld;
const taskQueue = uniqueTaskQueue('meta');
useEngineWorker(fixture, () => sim.url, taskQueue);
// Polls far apart: whatever happens within a test came by webhook.
const slowPolls = { pollInitialMs: 3_600_000, pollMaxMs: 3_600_000, lifecyclePollMs: 3_600_000 };

beforeAll(async () => {
  world = await seedTemplateWorld(fixture.database.db, sim.simulator, fixture.api.secrets);
});

async function submitted() {
  sim.simulator.templates.rules = [{ outcome: 'APPROVED', delayMs: 3_600_000 }];
  const { templateId, name } = await world.newTemplate();
  const handle = await fixture.temporal.client.workflow.start<typeof templateApproval>('templateApproval', {
    workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: name, timing: slowPolls }],
  });
  await expect.poll(async () => (await handle.query(templateApprovalStatus)).status, { timeout: 10_000 }).toBe('PENDING');
  return { handle, templateId, providerTemplateId: (await handle.query(templateApprovalStatus)).providerTemplateId! };
}

const event = (providerTemplateId: string, status: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  object: 'whatsapp_business_account',
  entry: [{ id: world.wabaId, time: Math.floor(Date.now() / 1000) + 1, changes: [{ field: 'message_template_status_update', value: { event: status, message_template_id: Number(providerTemplateId), message_template_name: 'x', message_template_language: 'en_US', reason: 'NONE', ...extra } }] }],
});

const post = (body: string, signature?: string) => fixture.api.app.inject({
  method: 'POST', url: '/webhooks/meta', payload: body,
  headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
});

describe('POST /webhooks/meta', () => {
  it('a signed APPROVED event reaches the workflow before any poll, and the row follows', async () => {
    const { handle, templateId, providerTemplateId } = await submitted();
    const body = event(providerTemplateId, 'APPROVED');
    const response = await post(body, metaSignature(body, appSecret));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: true, forwarded: 1 });
    await expect.poll(async () => (await handle.query(templateApprovalStatus)).status).toBe('APPROVED');
    expect((await handle.query(templateApprovalStatus)).polls).toBe(0);
    await expect.poll(async () => (await world.templates.get(templateId)).status).toBe('APPROVED');

    const paused = event(providerTemplateId, 'PAUSED', { other_info: { title: 'FIRST_PAUSE', description: 'low quality' } });
    await post(paused, metaSignature(paused, appSecret));
    await expect.poll(async () => (await world.templates.get(templateId))).toMatchObject({ status: 'PAUSED', statusReason: 'FIRST_PAUSE' });

    // Meta says "unpaused" as other_info UNPAUSE, and a reinstatement as event REINSTATED: both make it sendable again.
    const unpaused = event(providerTemplateId, 'APPROVED', { other_info: { title: 'UNPAUSE', description: 'back' } });
    await post(unpaused, metaSignature(unpaused, appSecret));
    await expect.poll(async () => (await world.templates.get(templateId)).status).toBe('APPROVED');
    const pausedAgain = event(providerTemplateId, 'PAUSED', { other_info: { title: 'SECOND_PAUSE' } });
    await post(pausedAgain, metaSignature(pausedAgain, appSecret));
    await expect.poll(async () => (await world.templates.get(templateId)).status).toBe('PAUSED');
    const reinstated = event(providerTemplateId, 'REINSTATED');
    await post(reinstated, metaSignature(reinstated, appSecret));
    await expect.poll(async () => (await world.templates.get(templateId)).status).toBe('APPROVED');
  });

  it.each([
    ['no signature', undefined],
    ['a signature with another secret', 'sha256=' + '0'.repeat(64)],
  ])('answers 401 for %s and the workflow hears nothing', async (_name, signatureFor) => {
    const { handle, providerTemplateId } = await submitted();
    const body = event(providerTemplateId, 'APPROVED');
    expect((await post(body, signatureFor)).statusCode).toBe(401);
    const tampered = await post(body.replace('APPROVED', 'REJECTED'), metaSignature(body, appSecret));
    expect(tampered.statusCode).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await handle.query(templateApprovalStatus)).status).toBe('PENDING');
  });

  it('ignores events for templates it does not know', async () => {
    const body = event('999999999999999', 'APPROVED');
    expect((await post(body, metaSignature(body, appSecret))).json()).toEqual({ received: true, forwarded: 0 });
  });

  it('answers Meta\'s subscription handshake only with the verify token', async () => {
    const ok = await fixture.api.app.inject({ method: 'GET', url: '/webhooks/meta?hub.mode=subscribe&hub.verify_token=let-me-in&hub.challenge=42' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('42');
    const wrong = await fixture.api.app.inject({ method: 'GET', url: '/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42' });
    expect(wrong.statusCode).toBe(403);
  });

  it('the simulator, told where Meta would post, drives the workflow end to end', async () => {
    const apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
    sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
    try {
      const { handle, templateId, providerTemplateId } = await submitted();
      sim.simulator.templates.setStatus(providerTemplateId, 'REJECTED', 'SCAM');
      expect(await handle.result()).toMatchObject({ status: 'REJECTED', reason: 'SCAM' });
      expect(await world.templates.get(templateId)).toMatchObject({ status: 'REJECTED', statusReason: 'SCAM' });
    } finally {
      sim.simulator.metaWebhook = undefined;
    }
  });
});

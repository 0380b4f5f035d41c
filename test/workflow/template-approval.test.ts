// templateApproval on the time-skipping server: days of waiting in seconds,
// with the real activities, a real database and the Vonage simulator.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { templateWorkflowId } from '../../domain/template.ts';
import { templateApprovalStatus, templateStatusUpdate } from '../../workflows/template-messages.ts';
import type { dependsOnTemplate, templateApproval } from '../fixtures/workflows.ts';
import { dependentProgress } from '../fixtures/workflows.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { useSimulator } from '../helpers/simulator.ts';
import { seedTemplateWorld, type TemplateWorld } from '../helpers/templates.ts';
import { createTestWorker, createTimeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.ts';

const sim = useSimulator({ statusWebhooks: false });
let env: TestWorkflowEnvironment;
let database: TestDatabase;
let world: TemplateWorld;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('templates');

beforeAll(async () => {
  env = await createTimeSkippingEnvironment();
  database = await createTestDatabase();
  world = await seedTemplateWorld(database.db, sim.simulator);
  worker = await createTestWorker(env.nativeConnection, {
    taskQueue,
    activities: createActivities({ db: database.db, secrets: world.secrets, vonage: { apiHost: sim.url, timeoutMs: 5_000 } }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.cleanup();
});

/** Verdicts happen only when a test says so (a rule whose delay never elapses during the test). */
const holdVerdicts = () => { sim.simulator.templates.rules = [{ outcome: 'APPROVED', delayMs: 3_600_000 }]; };

async function submit(templateId: string, name: string) {
  const handle = await env.client.workflow.start<typeof templateApproval>('templateApproval', {
    workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: name }],
  });
  await expect.poll(async () => (await world.templates.getRow(templateId)).provider_template_id, { timeout: 10_000 }).toBeTruthy();
  return { handle, providerTemplateId: (await world.templates.getRow(templateId)).provider_template_id! };
}

const query = (templateId: string) => env.client.workflow.getHandle(templateWorkflowId(templateId)).query(templateApprovalStatus);

describe('templateApproval', () => {
  it('finds an approval that comes after 3 days by polling, backing off to every 30 minutes', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { providerTemplateId } = await submit(templateId, name);
    expect((await query(templateId)).status).toBe('PENDING');
    await env.sleep('3 days');
    const waiting = await query(templateId);
    expect(waiting.status).toBe('PENDING');
    // 1, 2, 4, 8, 16 minutes, then every 30: about 148 polls in 72 hours, not 4,320 (one a minute).
    expect(waiting.polls).toBeGreaterThan(140);
    expect(waiting.polls).toBeLessThan(155);
    expect(waiting.nextPollDelayMs).toBe(30 * 60_000);

    sim.simulator.templates.setStatus(providerTemplateId, 'APPROVED');
    await env.sleep('31 minutes');
    expect(await query(templateId)).toMatchObject({ status: 'APPROVED', reason: null });
    expect(await world.templates.get(templateId)).toMatchObject({ status: 'APPROVED', providerTemplateId });
  });

  it('takes an approval signal that arrives before the first poll', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { handle } = await submit(templateId, name);
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: await env.currentTimeMs(), source: 'webhook' });
    await expect.poll(async () => (await query(templateId)).status).toBe('APPROVED');
    expect((await query(templateId)).polls).toBe(0);
    await expect.poll(async () => (await world.templates.get(templateId)).status).toBe('APPROVED');
  });

  it('ends REJECTED with Meta\'s reason, and the row says so', async () => {
    sim.simulator.templates.rules = [{ outcome: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH', delayMs: 0 }];
    const { templateId, name } = await world.newTemplate();
    const { handle } = await submit(templateId, name);
    expect(await handle.result()).toMatchObject({ status: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH' });
    expect(await world.templates.get(templateId)).toMatchObject({ status: 'REJECTED', statusReason: 'TAG_CONTENT_MISMATCH' });
  });

  it('ends TIMED_OUT when Meta gives no verdict within the deadline (7 days)', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const submittedAt = await env.currentTimeMs();
    const { handle } = await submit(templateId, name);
    const result = await handle.result();
    expect(result.status).toBe('TIMED_OUT');
    expect((await world.templates.get(templateId)).status).toBe('TIMED_OUT');
    expect((await env.currentTimeMs()) - submittedAt).toBeGreaterThanOrEqual(7 * 24 * 3600_000);
    // A week of polling continued as new on the way: the history stays bounded.
    const lastRun = await handle.describe();
    expect(lastRun.runId).not.toBe(handle.firstExecutionRunId);
    expect(lastRun.historyLength).toBeLessThan(2_500);
  });

  it('ignores stale and duplicate events', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { handle } = await submit(templateId, name);
    const now = await env.currentTimeMs();
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: now, source: 'webhook' });
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: now + 1, source: 'webhook' });
    // An older PENDING, delivered late, must not undo the approval.
    await handle.signal(templateStatusUpdate, { status: 'PENDING', reason: null, observedAtMs: now - 60_000, source: 'webhook' });
    await expect.poll(async () => (await query(templateId)).observedAtMs).toBe(now + 1);
    expect((await query(templateId)).status).toBe('APPROVED');
  });

  it('PAUSED then UNPAUSE: a dependent workflow is released on approval, held on pause, resumed on unpause', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { handle } = await submit(templateId, name);
    const dependent = await env.client.workflow.start<typeof dependsOnTemplate>('dependsOnTemplate', { workflowId: `campaign-like-${templateId}`, taskQueue, args: [templateId] });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed']);
    expect((await query(templateId)).subscribers).toEqual([`campaign-like-${templateId}`]);

    const at = async () => (await env.currentTimeMs()) + 1;
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: await at(), source: 'webhook' });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed', 'released']);
    await handle.signal(templateStatusUpdate, { status: 'PAUSED', reason: 'FIRST_PAUSE', observedAtMs: await at(), source: 'webhook' });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed', 'released', 'held: PAUSED']);
    expect(await world.templates.get(templateId)).toMatchObject({ status: 'PAUSED', statusReason: 'FIRST_PAUSE' });
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: 'UNPAUSE', observedAtMs: await at(), source: 'webhook' });
    expect(await dependent.result()).toEqual({ progress: ['subscribed', 'released', 'held: PAUSED', 'resumed'], statuses: ['PENDING', 'APPROVED', 'PAUSED', 'APPROVED'] });
    await expect.poll(async () => (await query(templateId)).subscribers).toEqual([]);
  });

  it('hands subscribers and pending updates over at continue-as-new', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const handle = await env.client.workflow.start<typeof templateApproval>('templateApproval', {
      workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: name, historyLimit: 30 }],
    });
    const dependent = await env.client.workflow.start<typeof dependsOnTemplate>('dependsOnTemplate', { workflowId: `handover-${templateId}`, taskQueue, args: [templateId] });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed']);
    await env.sleep('6 hours'); // a dozen polls: several runs of 30 events
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect((await query(templateId)).subscribers).toEqual([`handover-${templateId}`]);
    const at = async () => (await env.currentTimeMs()) + 1;
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: await at(), source: 'webhook' });
    // Dependents are told the current status, not every step: let this one see APPROVED before the pause.
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed', 'released']);
    await handle.signal(templateStatusUpdate, { status: 'PAUSED', reason: 'FIRST_PAUSE', observedAtMs: await at(), source: 'webhook' });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed', 'released', 'held: PAUSED']);
    await env.sleep('3 hours');
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: 'UNPAUSE', observedAtMs: await at(), source: 'webhook' });
    expect((await dependent.result()).progress).toEqual(['subscribed', 'released', 'held: PAUSED', 'resumed']);
  });

  it('a poll that repeats a status without its reason keeps the reason and tells nobody twice', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { handle, providerTemplateId } = await submit(templateId, name);
    const dependent = await env.client.workflow.start<typeof dependsOnTemplate>('dependsOnTemplate', { workflowId: `quiet-${templateId}`, taskQueue, args: [templateId] });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed']);
    const at = async () => (await env.currentTimeMs()) + 1;
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: await at(), source: 'webhook' });
    // Dependents are told the current status, not every step: let this one see APPROVED before the pause.
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed', 'released']);
    await handle.signal(templateStatusUpdate, { status: 'PAUSED', reason: 'FIRST_PAUSE', observedAtMs: await at(), source: 'webhook' });
    await expect.poll(() => dependent.query(dependentProgress)).toEqual(['subscribed', 'released', 'held: PAUSED']);
    sim.simulator.templates.setStatus(providerTemplateId, 'PAUSED'); // Meta's GET gives no reason
    await env.sleep('2 hours');
    expect(await world.templates.get(templateId)).toMatchObject({ status: 'PAUSED', statusReason: 'FIRST_PAUSE' });
    sim.simulator.templates.setStatus(providerTemplateId, 'APPROVED');
    expect(await dependent.result()).toEqual({ progress: ['subscribed', 'released', 'held: PAUSED', 'resumed'], statuses: ['PENDING', 'APPROVED', 'PAUSED', 'APPROVED'] });
  });

  it('a template deleted at Meta ends DELETED (the poll\'s 404 is a status, not a failure)', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { handle, providerTemplateId } = await submit(templateId, name);
    await handle.signal(templateStatusUpdate, { status: 'APPROVED', reason: null, observedAtMs: await env.currentTimeMs(), source: 'webhook' });
    sim.simulator.templates.setStatus(providerTemplateId, 'DELETED');
    expect(await handle.result()).toMatchObject({ status: 'DELETED', reason: 'deleted at Meta' });
    expect((await world.templates.get(templateId)).status).toBe('DELETED');
  });

  it('a creation Meta refuses ends REJECTED as a submission failure, without retrying forever', async () => {
    // Written past the API's checks, straight into the table: Meta refuses the name.
    const { templateId } = await world.newTemplate({ name: 'Not A Valid Name' });
    const handle = await env.client.workflow.start<typeof templateApproval>('templateApproval', {
      workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: 'Not A Valid Name' }],
    });
    expect(await handle.result()).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/^SUBMISSION_FAILED: .*name/) });
    expect((await world.templates.get(templateId)).status).toBe('REJECTED');
  });

  it('submits a media header by uploading its sample first, and a named-parameter body as NAMED', async () => {
    sim.simulator.templates.rules = [{ outcome: 'APPROVED', delayMs: 0 }];
    const uploadsBefore = sim.simulator.templates.uploads.size;
    const { templateId, name } = await world.newTemplate({
      header: { type: 'image', exampleUrl: `${sim.url}/_sim/media/sample.png` },
      body: { text: 'Hi {{first_name}}, your order has shipped.', examples: { first_name: 'Ana' } },
    });
    const { handle, providerTemplateId } = await submit(templateId, name);
    await env.sleep('2 minutes');
    expect((await handle.query(templateApprovalStatus)).status).toBe('APPROVED');
    expect(sim.simulator.templates.uploads.size).toBe(uploadsBefore + 1);
    const atProvider = sim.simulator.templates.templates.get(providerTemplateId)!;
    const header = atProvider.components.find((c) => (c as { type: string }).type === 'HEADER') as { example: { header_handle: string[] } };
    expect(sim.simulator.templates.uploads.has(header.example.header_handle[0]!)).toBe(true);
  });

  it('a paused template found by polling (no webhook) holds dependents too', async () => {
    holdVerdicts();
    const { templateId, name } = await world.newTemplate();
    const { handle, providerTemplateId } = await submit(templateId, name);
    sim.simulator.templates.setStatus(providerTemplateId, 'APPROVED');
    await env.sleep('2 minutes');
    expect((await query(templateId)).status).toBe('APPROVED');
    sim.simulator.templates.setStatus(providerTemplateId, 'PAUSED', 'FIRST_PAUSE');
    await env.sleep('31 minutes');
    expect((await query(templateId)).status).toBe('PAUSED');
    sim.simulator.templates.setStatus(providerTemplateId, 'DISABLED');
    await env.sleep('31 minutes');
    expect(await handle.result()).toMatchObject({ status: 'DISABLED' });
  });
});

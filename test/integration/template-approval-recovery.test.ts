// templateApproval on the real dev server, surviving what production throws at
// it: a worker killed (SIGKILL) mid-wait, and a crash between "created at the
// provider" and "recorded here".
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { migrateToLatest } from '../../db/database.ts';
import { SecretBox } from '../../db/secret-box.ts';
import { TemplatesRepository } from '../../db/templates.ts';
import { templateWorkflowId } from '../../domain/template.ts';
import { templateApprovalStatus } from '../../workflows/template-messages.ts';
import type { templateApproval } from '../fixtures/workflows.ts';
import { createSharedDatabase, type SharedDatabase } from '../helpers/database.ts';
import { useSimulator } from '../helpers/simulator.ts';
import { seedTemplateWorld } from '../helpers/templates.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';
import { connectTestTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal.ts';

const sim = useSimulator({ statusWebhooks: false });
const fast = { pollInitialMs: 300, pollMaxMs: 600, lifecyclePollMs: 600, approvalTimeoutMs: 3_600_000 };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sharedDatabase(): Promise<SharedDatabase> {
  const shared = await createSharedDatabase();
  cleanups.push(() => shared.cleanup());
  return shared;
}

describe('templateApproval recovery', () => {
  it('a worker SIGKILLed while the workflow waits; a new worker finishes it', { timeout: 90_000 }, async () => {
    const shared = await sharedDatabase();
    const key = randomBytes(32);
    const secrets = new SecretBox(key);
    let db = shared.open();
    await migrateToLatest(db);
    sim.simulator.templates.rules = [{ outcome: 'APPROVED', delayMs: 3_600_000 }];
    const world = await seedTemplateWorld(db, sim.simulator, secrets);
    const { templateId, name } = await world.newTemplate();
    await db.destroy(); // PGlite is single-process: hand the database to the worker process

    const temporal: TestTemporal = await connectTestTemporal();
    cleanups.push(() => temporal.close());
    const taskQueue = uniqueTaskQueue('recovery');
    const worker1 = await startWorkerProcess({ ...shared.childEnv, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: taskQueue, ENCRYPTION_KEY: key.toString('base64'), VONAGE_API_HOST: sim.url });
    cleanups.push(() => worker1.kill());

    const handle = await temporal.client.workflow.start<typeof templateApproval>('templateApproval', {
      workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: name, timing: fast }],
    });
    cleanups.push(() => handle.terminate('test over').then(() => undefined, () => undefined));
    // Waiting for the verdict, and already polling.
    await expect.poll(async () => (await handle.query(templateApprovalStatus)).polls, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect((await handle.query(templateApprovalStatus)).status).toBe('PENDING');
    const providerTemplateId = (await handle.query(templateApprovalStatus)).providerTemplateId!;

    await worker1.kill();
    sim.simulator.templates.setStatus(providerTemplateId, 'APPROVED');

    db = shared.open();
    cleanups.push(() => db.destroy());
    const worker = await createTestWorker(temporal.nativeConnection, {
      taskQueue,
      activities: createActivities({ db, secrets, vonage: { apiHost: sim.url, timeoutMs: 5_000 } }),
    });
    await worker.runUntil(expect.poll(async () => (await handle.query(templateApprovalStatus)).status, { timeout: 30_000 }).toBe('APPROVED'));
    await expect.poll(async () => (await new TemplatesRepository(db).get(templateId)).status).toBe('APPROVED');
    expect([...sim.simulator.templates.templates.values()].filter((t) => t.name === name)).toHaveLength(1);
  });

  it('a crash between "created at the provider" and "recorded" does not create a second template', { timeout: 60_000 }, async () => {
    const shared = await sharedDatabase();
    const db = shared.open();
    cleanups.push(() => db.destroy());
    await migrateToLatest(db);
    sim.simulator.templates.rules = [{ outcome: 'APPROVED', delayMs: 0 }];
    const world = await seedTemplateWorld(db, sim.simulator);
    const { templateId, name } = await world.newTemplate();

    let crashes = 0;
    const temporal = await connectTestTemporal();
    cleanups.push(() => temporal.close());
    const taskQueue = uniqueTaskQueue('crash');
    const worker = await createTestWorker(temporal.nativeConnection, {
      taskQueue,
      activities: createActivities({
        db, secrets: world.secrets, vonage: { apiHost: sim.url, timeoutMs: 5_000 },
        testHooks: {
          afterProviderCreate: async () => {
            if (crashes++ === 0) throw new Error('simulated crash after the provider created the template');
          },
        },
      }),
    });
    const handle = await temporal.client.workflow.start<typeof templateApproval>('templateApproval', {
      workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: name, timing: fast }],
    });
    cleanups.push(() => handle.terminate('test over').then(() => undefined, () => undefined));
    await worker.runUntil(expect.poll(async () => (await handle.query(templateApprovalStatus)).status, { timeout: 30_000 }).toBe('APPROVED'));

    expect(crashes).toBe(1); // the hook ran once: the retry found the template instead of creating it
    const atProvider = [...sim.simulator.templates.templates.values()].filter((t) => t.name === name);
    expect(atProvider).toHaveLength(1);
    expect((await world.templates.getRow(templateId)).provider_template_id).toBe(atProvider[0]!.id);
  });
});

// templateApproval on the real dev server, surviving what production throws at
// it: a worker killed (SIGKILL) mid-wait, and a crash between "created at the
// provider" and "recorded here".
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { migrateToLatest, openDatabase, type Db } from '../../db/database.ts';
import { SecretBox } from '../../db/secret-box.ts';
import { TemplatesRepository } from '../../db/templates.ts';
import { templateWorkflowId } from '../../domain/template.ts';
import { projectRoot } from '../../scripts/paths.ts';
import { templateApprovalStatus } from '../../workflows/template-messages.ts';
import type { templateApproval } from '../fixtures/workflows.ts';
import { createScratchPostgres } from '../helpers/database.ts';
import { useSimulator } from '../helpers/simulator.ts';
import { seedTemplateWorld } from '../helpers/templates.ts';
import { connectTestTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal.ts';

const sim = useSimulator({ statusWebhooks: false });
const fast = { pollInitialMs: 300, pollMaxMs: 600, lifecyclePollMs: 600, approvalTimeoutMs: 3_600_000 };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * A database two processes can use one after the other: a scratch database on
 * the Postgres server when DATABASE_URL is set, else a PGlite directory.
 */
async function sharedDatabase(): Promise<{ open: () => Db; childEnv: Record<string, string> }> {
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchPostgres(process.env.DATABASE_URL);
    cleanups.push(scratch.drop);
    return { open: () => openDatabase({ kind: 'postgres', url: scratch.url }), childEnv: { DATABASE_URL: scratch.url } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pglite-shared-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return { open: () => openDatabase({ kind: 'pglite', dataDir: dir }), childEnv: { PGLITE_DIR: dir } };
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
    const child = spawn(process.execPath, [join(projectRoot, 'test', 'fixtures', 'worker-process.ts')], {
      env: { ...process.env, ...shared.childEnv, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: taskQueue, ENCRYPTION_KEY: key.toString('base64'), VONAGE_API_HOST: sim.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => { child.kill('SIGKILL'); });
    await once(child.stdout, 'data');

    const handle = await temporal.client.workflow.start<typeof templateApproval>('templateApproval', {
      workflowId: templateWorkflowId(templateId), taskQueue, args: [{ templateId, templateName: name, timing: fast }],
    });
    cleanups.push(() => handle.terminate('test over').then(() => undefined, () => undefined));
    // Waiting for the verdict, and already polling.
    await expect.poll(async () => (await handle.query(templateApprovalStatus)).polls, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect((await handle.query(templateApprovalStatus)).status).toBe('PENDING');
    const providerTemplateId = (await handle.query(templateApprovalStatus)).providerTemplateId!;

    child.kill('SIGKILL');
    await once(child, 'exit');
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

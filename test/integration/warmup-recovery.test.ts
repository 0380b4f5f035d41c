// The warm-up governor survives its worker being killed mid-day: usage lives
// in the quota ledger and the day's state in the workflow's history, so a
// worker started afterwards continues with the same day, the same allowance
// and the same usage numbers. Workers are child processes killed with SIGKILL.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../db/database.ts';
import { QuotaLedger } from '../../db/quota.ts';
import { warmupWorkflowId } from '../../api/warmups.ts';
import { warmupState, type WarmupState } from '../../workflows/warmup-messages.ts';
import type { warmupGovernor } from '../fixtures/workflows.ts';
import { createSharedDatabase } from '../helpers/database.ts';
import { connectTestTemporal, uniqueTaskQueue } from '../helpers/temporal.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('warm-up governor recovery', () => {
  it('a worker killed mid-day: the restarted worker continues the same day with the same usage', { timeout: 120_000 }, async () => {
    const shared = await createSharedDatabase();
    cleanups.push(() => shared.cleanup());
    const migrating = shared.open();
    await migrateToLatest(migrating);
    await migrating.destroy(); // PGlite is single-process: the worker takes it from here

    const temporal = await connectTestTemporal();
    cleanups.push(() => temporal.close());
    const taskQueue = uniqueTaskQueue('warmup-recovery');
    const workerEnv = { ...shared.childEnv, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: taskQueue, ENCRYPTION_KEY: randomBytes(32).toString('base64'), VONAGE_API_HOST: 'http://127.0.0.1:9' };
    const portfolioId = `recovery-${taskQueue.slice(-8)}`;

    let worker = await startWorkerProcess(workerEnv);
    cleanups.push(() => worker.kill());
    // Real-length days (production's time scale), re-deciding every 300 ms so the test sees several ticks.
    const handle = await temporal.client.workflow.start<typeof warmupGovernor>('warmupGovernor', {
      workflowId: warmupWorkflowId(portfolioId), taskQueue, args: [{ portfolioId, senderNumbers: ['+447911123456'], quality: 'GREEN', tickMs: 300 }],
    });
    cleanups.push(() => handle.terminate('test over').then(() => undefined, () => undefined));
    const state = (): Promise<WarmupState> => handle.query(warmupState);
    await expect.poll(async () => (await state()).decision, { timeout: 20_000 }).toMatchObject({ sendingAllowed: true, allowance: 50 });
    // The decision is in the state before the tick's activity writes it: wait for a tick measured after it.
    const decidedAt = Date.now();
    await expect.poll(async () => (await state()).usage.measuredAtMs, { timeout: 20_000 }).toBeGreaterThan(decidedAt);

    await worker.kill();
    // Sends go on while no worker is up: the ledger, not the worker, is the authority.
    const db = shared.open();
    const grant = await new QuotaLedger(db).reserve({
      portfolioId, senderId: null, consumer: 'campaign-a', recipients: Array.from({ length: 40 }, (_, i) => `+4478${String(20_000_000 + i)}`),
    });
    await db.destroy();
    expect(grant.counted).toHaveLength(40);

    worker = await startWorkerProcess(workerEnv);
    await expect.poll(async () => (await state()).usage.window, { timeout: 20_000 }).toBe(40);
    const before = await state();

    await worker.kill();
    worker = await startWorkerProcess(workerEnv);
    // A tick after the restart has measured again: same day, same numbers.
    await expect.poll(async () => (await state()).usage.measuredAtMs, { timeout: 20_000 }).toBeGreaterThan(before.usage.measuredAtMs);
    const after = await state();
    expect(after.usage).toMatchObject({ window: 40, upgradeWindow: 40 });
    expect(after).toMatchObject({
      status: 'WARMING', limit: 250, dayOnRung: 0,
      dayStartedAtMs: before.dayStartedAtMs, startedAtMs: before.startedAtMs,
      decision: { sendingAllowed: true, allowance: 50 },
    });
    await worker.kill();

    // And the ledger still holds the day's allowance against the 40 already counted.
    const check = shared.open();
    cleanups.push(() => check.destroy());
    const rest = await new QuotaLedger(check).reserve({
      portfolioId, senderId: null, consumer: 'campaign-b', recipients: Array.from({ length: 20 }, (_, i) => `+4478${String(30_000_000 + i)}`),
    });
    expect(rest.counted).toHaveLength(10);
  });
});

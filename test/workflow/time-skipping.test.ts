import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorker, createTimeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.ts';
import type { durableTimer } from '../fixtures/workflows.ts';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

describe('time-skipping environment', () => {
  it('runs a 30-day durable timer in moments', async () => {
    const taskQueue = uniqueTaskQueue('time-skip');
    const worker = await createTestWorker(env.nativeConnection, { taskQueue });
    const before = await env.currentTimeMs();
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof durableTimer>('durableTimer', { taskQueue, workflowId: `timer-${taskQueue}`, args: ['30 days'] }),
    );
    expect(result.sleptMs).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
    expect(Date.now() - wallStart).toBeLessThan(30_000);
  });
});

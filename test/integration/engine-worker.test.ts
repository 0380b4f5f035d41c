import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../db/secret-box.ts';
import { createEngineWorker } from '../../workers/worker.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal.ts';

let database: TestDatabase;
let temporal: TestTemporal;
beforeAll(async () => {
  database = await createTestDatabase();
  temporal = await connectTestTemporal();
});
afterAll(async () => {
  await temporal?.close();
  await database?.cleanup();
});

describe('engine worker', () => {
  it('bundles the engine workflows, polls its task queue and shuts down cleanly', async () => {
    const worker = await createEngineWorker({
      connection: temporal.nativeConnection,
      namespace: 'default',
      taskQueue: uniqueTaskQueue('engine'),
      db: database.db,
      secrets: new SecretBox(randomBytes(32)),
      vonage: { apiHost: 'http://127.0.0.1:9', timeoutMs: 1_000 },
    });
    const running = worker.run();
    await expect.poll(() => worker.getState(), { timeout: 10_000 }).toBe('RUNNING');
    worker.shutdown();
    await running;
    expect(worker.getState()).toBe('STOPPED');
  });
});

// A durable timer survives a crash of the Temporal server: SIGKILL mid-sleep,
// restart on the same SQLite file, and the workflow still completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort, startDevServer, type DevServer } from '../../scripts/temporal-dev-server.ts';
import type { durableTimer } from '../fixtures/workflows.ts';
import { connectTestTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal.ts';

const dir = mkdtempSync(join(tmpdir(), 'temporal-restart-'));
let server: DevServer | undefined;
let temporal: TestTemporal | undefined;

afterAll(async () => {
  await temporal?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Temporal server crash', () => {
  it('a workflow sleeping on a durable timer survives SIGKILL of the server and completes after restart', { timeout: 120_000 }, async () => {
    const options = { cliPath: inject('temporalCliPath'), port: await freePort(), dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'server.log') };
    server = await startDevServer(options);
    temporal = await connectTestTemporal(server.address);
    const taskQueue = uniqueTaskQueue('restart');
    const workflowId = `restart-${taskQueue}`;
    const worker = await createTestWorker(temporal.nativeConnection, { taskQueue });

    const outcome = worker.runUntil(async () => {
      const handle = await temporal!.client.workflow.start<typeof durableTimer>('durableTimer', { taskQueue, workflowId, args: ['6 seconds'] });
      // Wait until the timer is durably recorded before crashing the server.
      await expect.poll(async () => {
        const history = await handle.fetchHistory();
        return history.events?.some((event) => event.timerStartedEventAttributes) ?? false;
      }, { timeout: 15_000, interval: 200 }).toBe(true);

      await server!.kill();
      server = await startDevServer(options);

      // The same client and worker connections reconnect to the restarted server.
      return handle.result();
    });

    const result = await outcome;
    expect(result.sleptMs).toBeGreaterThanOrEqual(6_000);
    const description = await temporal.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
  });
});

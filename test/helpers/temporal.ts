// Temporal for tests: clients and workers on the suite's shared dev server
// (one task queue per test), and the Java time-skipping server for timers
// measured in days.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { addSearchAttributes } from '../../workers/namespace.ts';

export const fixtureWorkflowsPath = fileURLToPath(new URL('../fixtures/workflows.ts', import.meta.url));

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export interface TestTemporal {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** Client and worker connections to the suite's dev server (started by test/global-setup.ts). */
export async function connectTestTemporal(address = inject('temporalAddress')): Promise<TestTemporal> {
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

const bundles = new Map<string, Promise<WorkerOptions['workflowBundle']>>();

/** Bundles a workflows file once per test file; each Worker.create would otherwise re-bundle. */
export function bundleOnce(workflowsPath: string): Promise<WorkerOptions['workflowBundle']> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

export async function createTestWorker(
  nativeConnection: NativeConnection,
  options: Omit<WorkerOptions, 'connection' | 'taskQueue' | 'workflowsPath'> & { taskQueue?: string; workflowsPath?: string },
): Promise<Worker> {
  const { workflowsPath = fixtureWorkflowsPath, taskQueue = uniqueTaskQueue(), ...rest } = options;
  return Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleOnce(workflowsPath),
    ...rest,
  });
}

/** The Java time-skipping test server, from the pinned binary, with the engine's search attributes. Timers fast-forward while a test awaits a result. */
export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServerPath') } },
  });
  await addSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

// Builds the engine's worker: every workflow in workflows/index.ts and the
// activities from the factory, polling the engine task queue.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.ts';
import { taskQueues } from '../domain/task-queues.ts';

export const engineWorkflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface EngineWorkerOptions extends ActivityDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  /** Pre-built bundle (tests bundle once per file); otherwise the worker bundles workflowsPath. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createEngineWorker(options: EngineWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? taskQueues.engine,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: engineWorkflowsPath }),
    activities: createActivities({ db: options.db, secrets: options.secrets, vonage: options.vonage, metaGraph: options.metaGraph }),
    // In-flight activities get this long to finish after SIGTERM before they are cancelled.
    shutdownGraceTime: '10s',
    // A pause or cancel reaches a campaign's batch in flight with the answer to its next heartbeat; the
    // SDK would otherwise send those only every 8 s (80 % of the 10 s heartbeat timeout).
    maxHeartbeatThrottleInterval: '1s',
  });
}

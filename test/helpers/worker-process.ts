// An engine worker in a child process (test/fixtures/worker-process.ts), for
// tests that must kill a worker for real: SIGKILL, no draining, no goodbye.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/paths.ts';

export interface WorkerProcess {
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/** Resolves once the worker polls. env: see the fixture's header (TEMPORAL_ADDRESS, TASK_QUEUE, database, ENCRYPTION_KEY, VONAGE_API_HOST). */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(projectRoot, 'test', 'fixtures', 'worker-process.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return {
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

// Runs the Vonage simulator in a child process (its own core) for benchmarks,
// with one registered account and no webhook URLs, so status webhooks are off.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';
import { freePort } from '../temporal-dev-server.ts';
import type { SimAccount } from '../../vonage/simulator/accounts.ts';

export interface SimulatorProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(account: SimAccount): Promise<SimulatorProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(projectRoot, 'vonage', 'simulator', 'main.ts')], {
    env: { ...process.env, SIMULATOR_PORT: String(port), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [firstLine] = (await once(child.stdout, 'data')) as [Buffer];
  if (!firstLine.toString().includes('listening')) throw new Error(`simulator did not start: ${firstLine.toString()}`);
  const url = `http://127.0.0.1:${port}`;
  const registered = await fetch(`${url}/_sim/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
  if (registered.status !== 201) throw new Error(`could not register the benchmark account: ${registered.status}`);
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function ledgerSize(url: string): Promise<number> {
  const { accepted } = (await (await fetch(`${url}/_sim/stats`)).json()) as { accepted: number };
  return accepted;
}

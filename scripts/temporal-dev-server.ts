// Runs the official Temporal CLI dev server as a child process and waits until
// it serves. Used by `npm start`, by the test suite's global setup and by the
// restart test, which SIGKILLs it and starts it again on the same SQLite file.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omitted = headless. */
  uiPort?: number;
  /** SQLite file; omitted = in memory. */
  dbFile?: string;
  /** Server output goes here; omitted = discarded. */
  logFile?: string;
  /** Own process group, so a terminal's Ctrl-C reaches the launcher first and it stops the server last. */
  detached?: boolean;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  child: ChildProcess;
  /** Graceful stop (SIGTERM), escalating to SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Crash simulation: SIGKILL, no chance to flush. */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
  return address.port;
}

export class PortInUseError extends Error {}

/** Refuses early and clearly: otherwise the readiness probe would find whatever else listens there. */
export async function assertPortFree(port: number, purpose: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new PortInUseError(`Port ${port} (${purpose}) is ${code === 'EADDRINUSE' ? 'already in use' : `unavailable (${code})`}. ` +
      'Is another Temporal server running? Stop it, choose other ports, or point TEMPORAL_ADDRESS at it.');
  } finally {
    server.close();
  }
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

/** Resolves once the frontend answers and the default namespace is served. */
export async function waitForTemporal(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode} before it was ready`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`Temporal at ${address} did not become ready within ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await assertPortFree(options.port, 'Temporal frontend');
  if (options.uiPort !== undefined) await assertPortFree(options.uiPort, 'Temporal Web UI');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn',
    // WAL keeps the SQLite file consistent across a kill of the process and is much faster than the default journal.
    '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  const output = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(options.cliPath, args, { stdio: ['ignore', output, output], detached: options.detached ?? false });
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitForTemporal(address, options.startTimeoutMs ?? 60_000, child);
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode} while starting`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    address,
    child,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited(child);
      clearTimeout(timer);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

// One Temporal dev server (the real CLI binary, in memory) for the whole run;
// each test isolates itself with its own task queue and workflow ids.
import type { TestProject } from 'vitest/node';
import { Connection } from '@temporalio/client';
import { ensureBinary, temporalCli, temporalTestServer } from '../scripts/temporal-binaries.ts';
import { freePort, startDevServer } from '../scripts/temporal-dev-server.ts';
import { prepareNamespace } from '../workers/namespace.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    temporalTestServerPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [cliPath, testServerPath] = await Promise.all([ensureBinary(temporalCli), ensureBinary(temporalTestServer)]);
  const server = await startDevServer({ cliPath, port: await freePort() });
  const connection = await Connection.connect({ address: server.address });
  await prepareNamespace(connection, 'default');
  await connection.close();
  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cliPath);
  project.provide('temporalTestServerPath', testServerPath);
  return () => server.stop();
}

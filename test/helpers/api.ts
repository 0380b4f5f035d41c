// The real API over a test database and the suite's Temporal server, with its
// logs captured so tests can prove what was (not) logged.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../api/server.ts';
import type { Db } from '../../db/database.ts';
import { SecretBox } from '../../db/secret-box.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { connectTestTemporal, createTestWorker, type TestTemporal } from './temporal.ts';
import type { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../activities/index.ts';

export interface TestApi {
  app: FastifyInstance;
  token: string;
  secrets: SecretBox;
  /** Everything the API logged so far, one JSON object per line. */
  logs(): string;
  /** An authenticated request through Fastify's in-process injector. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export interface TestApiOptions {
  logLevel?: string;
  meta?: { appSecret?: string; verifyToken?: string };
  taskQueue?: string;
  timeScale?: number;
}

export async function startTestApi(deps: TestApiOptions & { db: Db; temporal: Client }): Promise<TestApi> {
  const token = randomBytes(24).toString('base64url');
  const secrets = new SecretBox(randomBytes(32));
  let logged = '';
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const app = await buildApi({ db: deps.db, temporal: deps.temporal, secrets, apiToken: token, logLevel: deps.logLevel ?? 'info', logStream, ...(deps.meta ? { meta: deps.meta } : {}), ...(deps.taskQueue ? { taskQueue: deps.taskQueue } : {}), ...(deps.timeScale ? { timeScale: deps.timeScale } : {}) });
  return {
    app,
    token,
    secrets,
    logs: () => logged,
    request: (options) => app.inject({ ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } }),
  };
}

export interface ApiFixture {
  database: TestDatabase;
  temporal: TestTemporal;
  api: TestApi;
}

/**
 * Registers beforeAll/afterAll for a test file: a fresh migrated database, a
 * client of the suite's Temporal server and the API over both. The returned
 * object is filled in once beforeAll has run.
 */
export function useApiFixture(options: TestApiOptions = {}): ApiFixture {
  const fixture = {} as ApiFixture;
  beforeAll(async () => {
    fixture.database = await createTestDatabase();
    fixture.temporal = await connectTestTemporal();
    fixture.api = await startTestApi({ db: fixture.database.db, temporal: fixture.temporal.client, ...options });
  });
  afterAll(async () => {
    await fixture.api?.app.close();
    await fixture.temporal?.close();
    await fixture.database?.cleanup();
  });
  return fixture;
}

/**
 * beforeAll/afterAll for an engine worker (real activities) beside an API
 * fixture: same database and secrets, Vonage at the given simulator URL.
 * Register after the fixture and the simulator so their beforeAll run first.
 */
export function useEngineWorker(fixture: ApiFixture, simulatorUrl: () => string, taskQueue: string, extra: () => Pick<ActivityDependencies, 'metaGraph'> = () => ({})): void {
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    worker = await createTestWorker(fixture.temporal.nativeConnection, {
      taskQueue,
      activities: createActivities({ db: fixture.database.db, secrets: fixture.api.secrets, vonage: { apiHost: simulatorUrl(), timeoutMs: 5_000 }, ...extra() }),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
  });
}

// The embedded stack as a user runs it: `node scripts/dev.ts` (what npm start
// runs) in its own data directory and ports, Ctrl-C, and a second start that
// finds the data and the open workflows where they were.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/paths.ts';
import { freePort } from '../../scripts/temporal-dev-server.ts';
import type { durableTimer } from '../fixtures/workflows.ts';
import { createMessenger } from '../../vonage/messenger.ts';
import { createScratchPostgres } from '../helpers/database.ts';
import { connectTestTemporal, createTestWorker, uniqueTaskQueue } from '../helpers/temporal.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'engine-stack-'));
const running = new Set<ChildProcess>();
let dropDatabase = async () => {};

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

async function stackEnv(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    SIMULATOR_PORT: String(await freePort()),
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.VONAGE_API_HOST;
  delete env.API_TOKEN;
  delete env.ENCRYPTION_KEY;
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchPostgres(process.env.DATABASE_URL);
    env.DATABASE_URL = scratch.url;
    dropDatabase = scratch.drop;
  }
  return env;
}

async function startStack(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [join(projectRoot, 'scripts', 'dev.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await expect.poll(() => output, { timeout: 90_000, interval: 250 }).toMatch(/is up/);
  return { child, output: () => output };
}

async function stopStack(child: ChildProcess): Promise<number | null> {
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  running.delete(child);
  return code;
}

describe('npm start', () => {
  it('brings the stack up, stops on Ctrl-C, and resumes data and workflows on the next start', { timeout: 240_000 }, async () => {
    const env = await stackEnv();
    const api = `http://127.0.0.1:${env.API_PORT}`;
    const first = await startStack(env);
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    expect(first.output()).toContain(token); // printed for the user
    expect(first.output()).toContain(`${api}/docs`);
    expect(first.output()).toContain(`${api}/ui?token=${encodeURIComponent(token)}`); // the dashboard, signed in by following the link
    const dashboard = await fetch(`${api}/ui?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(dashboard.status).toBe(303);
    expect((await fetch(`${api}/metrics`)).status).toBe(401); // names portfolios and campaigns: behind the token
    const apiMetrics = await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(await apiMetrics.text()).toMatch(/^wce_http_request_duration_seconds_bucket/m);

    const health = await fetch(`${api}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${env.METRICS_PORT}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/temporal_/);
    expect(first.output()).toMatch(/Vonage\s+SIMULATOR at http:\/\/127\.0\.0\.1:\d+/);
    expect((await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`)).status).toBe(200);

    const created = await fetch(`${api}/v1/senders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ nickname: 'Stack test', whatsappNumber: '+14155550142', apiKey: 'key123', apiSecret: 'secret-value', signatureSecret: 'signature-value' }),
    });
    expect(created.status).toBe(201);
    const senderId = ((await created.json()) as { senderId: string }).senderId;

    // The stack's simulator knows the sender just registered: a send with its
    // credentials is accepted, and the signed status webhooks reach our API and pass verification.
    const simulatorUrl = `http://127.0.0.1:${env.SIMULATOR_PORT}`;
    const messenger = createMessenger({ apiKey: 'key123', apiSecret: 'secret-value' }, { apiHost: simulatorUrl, timeoutMs: 5_000 });
    const { messageUuid } = await messenger.send({ kind: 'text', to: '+447700900123', from: '+14155550142', clientRef: 'e2e-1', text: 'hello' });
    await expect.poll(async () => {
      const { deliveries } = (await (await fetch(`${simulatorUrl}/_sim/webhooks?messageUuid=${messageUuid}`)).json()) as { deliveries: { event: string; attempts: { statusCode?: number }[] }[] };
      return deliveries.filter((d) => d.attempts.at(-1)?.statusCode === 200).map((d) => d.event).sort();
    }, { timeout: 15_000, interval: 250 }).toEqual(['delivered', 'read', 'submitted']);

    // A template submitted through the API is approved by the stack's simulator, whose
    // Meta-shaped event reaches the approval workflow, which writes the verdict back.
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const authed = (path: string, body?: object) => fetch(`${api}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const templateSender = await (await authed('/v1/senders', { nickname: 'Templates', whatsappNumber: '+14155550143', applicationId: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b', privateKey, wabaId: '1029384756' })).json() as { senderId: string };
    const template = await (await authed('/v1/templates', { senderId: templateSender.senderId, name: 'order_shipped', language: 'en_US', category: 'UTILITY', body: { text: 'Hi {{1}}, your order has shipped.', examples: ['Ana'] } })).json() as { templateId: string };
    expect((await authed(`/v1/templates/${template.templateId}/submit`, {})).status).toBe(202);
    await expect.poll(async () => ((await (await authed(`/v1/templates/${template.templateId}`)).json()) as { status: string }).status, { timeout: 30_000, interval: 250 }).toBe('APPROVED');

    // A workflow left open across the restart, hosted by a worker of this test.
    const address = `127.0.0.1:${env.TEMPORAL_PORT}`;
    let temporal = await connectTestTemporal(address);
    const taskQueue = uniqueTaskQueue('stack');
    const workflowId = `stack-${taskQueue}`;
    const firstWorker = await createTestWorker(temporal.nativeConnection, { taskQueue });
    await firstWorker.runUntil(async () => {
      const handle = await temporal.client.workflow.start<typeof durableTimer>('durableTimer', { taskQueue, workflowId, args: ['4 seconds'] });
      await expect.poll(async () => (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes), { timeout: 15_000 }).toBe(true);
    });
    await temporal.close();

    expect(await stopStack(first.child)).toBe(0);
    expect(first.output()).toContain('Stopped.');
    await expect(fetch(`${api}/healthz`)).rejects.toThrow();

    const second = await startStack(env);
    expect(second.output()).toContain(token); // same generated token: secrets sealed before still open
    const fetched = await fetch(`${api}/v1/senders/${senderId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toMatchObject({ nickname: 'Stack test', secrets: { apiSecret: true } });

    temporal = await connectTestTemporal(address);
    try {
      // The namespace kept its retention and search attributes across the restart.
      const { customAttributes } = await temporal.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['CampaignId', 'PortfolioId', 'SenderNumber', 'TemplateName', 'EngineStatus']));
      const worker = await createTestWorker(temporal.nativeConnection, { taskQueue });
      const result = await worker.runUntil(temporal.client.workflow.getHandle(workflowId).result());
      expect(result.sleptMs).toBeGreaterThanOrEqual(4_000);
    } finally {
      await temporal.close();
    }
    expect(await stopStack(second.child)).toBe(0);
  });
});

// A whole engine on this machine for the campaign chaos run and benchmark: its
// own Temporal dev server (on a SQLite file it can be killed and restarted
// on), a scratch database on the Postgres server, the Vonage simulator and
// the API in this process, and the worker as a child process that can be
// SIGKILLed and started again. The simulator's ledger is the ground truth.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type Db } from '../db/database.ts';
import { createScratchPostgres } from '../test/helpers/database.ts';
import { makeTestAccount } from '../test/helpers/simulator.ts';
import { VonageSimulator, type Faults } from '../vonage/simulator/server.ts';
import { prepareNamespace } from '../workers/namespace.ts';
import { projectRoot } from './paths.ts';
import { ensureBinary, temporalCli } from './temporal-binaries.ts';
import { freePort, startDevServer, type DevServer } from './temporal-dev-server.ts';

export interface CampaignStackOptions {
  /** Contacts with marketing consent (the audience). */
  consented: number;
  /** Contacts without consent, who must receive nothing. */
  unconsented: number;
  faults?: Partial<Faults>;
  /** Postgres server to create the scratch database on. */
  postgresUrl: string;
  log?: (line: string) => void;
}

export interface Audit {
  consented: number;
  receivedExactlyOnce: number;
  duplicates: number;
  lost: number;
  /** Messages to contacts without consent. */
  strays: number;
  accepted: number;
}

export interface CampaignStack {
  apiUrl: string;
  simulatorUrl: string;
  senderNumber: string;
  /** The sender's Vonage credentials, for a bare-loop comparison. */
  credentials: { applicationId: string; privateKey: string };
  db: Db;
  simulator: VonageSimulator;
  temporalClient: Client;
  startWorker(): Promise<void>;
  killWorker(): Promise<void>;
  /** The worker's peak resident memory (kB): since start (VmHWM: includes bundling the workflow code) and sampled every 0.5 s since the last resetWorkerPeak (while sending). */
  workerPeakRssKb(): { sinceStart: number; sampled: number };
  resetWorkerPeak(): void;
  killAndRestartTemporal(): Promise<void>;
  createCampaign(body?: object): Promise<{ campaignId: string; createdAtMs: number }>;
  campaign(campaignId: string): Promise<{ status: string; statusReason: string | null; progress: Record<string, number> }>;
  audit(): Promise<Audit>;
  close(): Promise<void>;
}

export async function startCampaignStack(options: CampaignStackOptions): Promise<CampaignStack> {
  const log = options.log ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'campaign-stack-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  try {
    const scratch = await createScratchPostgres(options.postgresUrl);
    cleanups.push(scratch.drop);
    const db = openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 8 });
    cleanups.push(() => db.destroy());
    await migrateToLatest(db);

    const temporalOptions = { cliPath: await ensureBinary(temporalCli), port: await freePort(), dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') };
    let temporal: DevServer = await startDevServer(temporalOptions);
    cleanups.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    await prepareNamespace(connection, 'default');
    const temporalClient = new Client({ connection, namespace: 'default' });

    const key = randomBytes(32);
    const appSecret = randomBytes(16).toString('hex');
    const apiToken = randomBytes(24).toString('base64url');
    // The API in a process of its own, as in production: its webhook intake must not share an event loop with the simulator.
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const api = spawn(process.execPath, [join(projectRoot, 'api', 'main.ts')], {
      env: {
        ...process.env, DATABASE_URL: scratch.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default',
        API_TOKEN: apiToken, ENCRYPTION_KEY: key.toString('base64'), API_HOST: '127.0.0.1', API_PORT: String(apiPort), META_APP_SECRET: appSecret, LOG_LEVEL: 'warn',
        // Status webhooks come within a second here: a minute without one means the send never left.
        CAMPAIGN_RECONCILE_SECONDS: '60',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    cleanups.push(async () => {
      if (api.exitCode !== null || api.signalCode !== null) return;
      const exited = once(api, 'exit');
      api.kill('SIGTERM');
      await exited;
    });
    for (let waited = 0; !(await fetch(`${apiUrl}/healthz`).then((response) => response.ok, () => false)); waited += 100) {
      if (api.exitCode !== null) throw new Error(`the API exited with ${api.exitCode}`);
      if (waited > 30_000) throw new Error('the API did not become healthy within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const simulator = new VonageSimulator({
      templateDecision: { outcome: 'APPROVED', delayMs: 200 },
      statusDelaysMs: { submitted: 50, delivered: 200, read: 400 },
      metaWebhook: { url: `${apiUrl}/webhooks/meta`, appSecret },
    });
    cleanups.push(() => simulator.close());
    const simulatorUrl = await simulator.listen();
    const number = '447911100001';
    const account = makeTestAccount({ numbers: [number], wabaIds: ['900001'] });
    simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });

    const call = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${apiUrl}${path}`, {
        method, headers: { authorization: `Bearer ${apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };

    // The audience, written straight into the database: the import is measured elsewhere.
    await sql`
      insert into contacts (contact_id, whatsapp_number, attributes, marketing_consent, marketing_consent_at)
      select gen_random_uuid(), '+4478' || lpad(g::text, 8, '0'), '{"segment":"chaos"}'::jsonb, g <= ${options.consented}, now()
      from generate_series(1, ${options.consented + options.unconsented}) g`.execute(db);

    let worker: ChildProcess | undefined;
    let peakRssKb = 0;
    let sampledRssKb = 0;
    const sampleRss = () => {
      if (!worker?.pid || worker.exitCode !== null) return;
      try {
        const status = readFileSync(`/proc/${worker.pid}/status`, 'utf8');
        peakRssKb = Math.max(peakRssKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
        sampledRssKb = Math.max(sampledRssKb, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
      } catch {
        // exited between the check and the read
      }
    };
    const sampler = setInterval(sampleRss, 500);
    cleanups.push(async () => clearInterval(sampler));
    const stack: CampaignStack = {
      apiUrl, db, simulator, temporalClient, simulatorUrl, senderNumber: `+${number}`,
      credentials: { applicationId: account.applicationId, privateKey: account.privateKey },
      async startWorker() {
        const child = spawn(process.execPath, [join(projectRoot, 'workers', 'main.ts')], {
          env: {
            ...process.env, DATABASE_URL: scratch.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default',
            ENCRYPTION_KEY: key.toString('base64'), VONAGE_API_HOST: simulatorUrl, METRICS_PORT: String(await freePort()), LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        worker = child;
        await once(child.stdout, 'data');
        child.stdout.resume();
        log(`worker ${child.pid} polling`);
      },
      async killWorker() {
        const child = worker;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        sampleRss();
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
        log(`worker ${child.pid} SIGKILLed`);
      },
      workerPeakRssKb: () => {
        sampleRss();
        return { sinceStart: peakRssKb, sampled: sampledRssKb };
      },
      resetWorkerPeak: () => {
        sampledRssKb = 0;
      },
      async killAndRestartTemporal() {
        await temporal.kill();
        log('Temporal dev server SIGKILLed');
        temporal = await startDevServer(temporalOptions);
        log('Temporal dev server restarted on its database file');
      },
      async createCampaign(body = {}) {
        const createdAtMs = Date.now();
        const created = await call('POST', '/v1/campaigns', { name: 'Chaos', senderId, templateId, audience: { kind: 'filter', attributes: { segment: 'chaos' } }, ...body });
        return { campaignId: String(created.campaignId), createdAtMs };
      },
      async campaign(campaignId) {
        return await call('GET', `/v1/campaigns/${campaignId}`) as { status: string; statusReason: string | null; progress: Record<string, number> };
      },
      async audit() {
        const contacts = await db.selectFrom('contacts').select(['whatsapp_number', 'marketing_consent']).execute();
        const received = new Map<string, number>();
        for (const entry of simulator.ledger) received.set(entry.to, (received.get(entry.to) ?? 0) + 1);
        const audit: Audit = { consented: 0, receivedExactlyOnce: 0, duplicates: 0, lost: 0, strays: 0, accepted: simulator.ledger.length };
        for (const contact of contacts) {
          const count = received.get(contact.whatsapp_number!.slice(1)) ?? 0;
          if (contact.marketing_consent) {
            audit.consented++;
            if (count === 1) audit.receivedExactlyOnce++;
            if (count === 0) audit.lost++;
            audit.duplicates += Math.max(0, count - 1);
          } else {
            audit.strays += count;
          }
        }
        // A duplicate is a bug to understand: say what the ledger and the message row know about it.
        const duplicated = [...received.entries()].filter(([, count]) => count > 1).slice(0, 10);
        for (const [to] of duplicated) {
          const entries = simulator.ledger.filter((entry) => entry.to === to).map((entry) => ({ acceptedAt: entry.acceptedAt, clientRef: entry.clientRef, answerDropped: entry.answerDropped }));
          const rows = await db.selectFrom('campaign_messages').select(['message_id', 'state', 'attempts', 'reason', 'claimed_at', 'sent_at', 'message_uuid']).where('recipient', '=', `+${to}`).execute();
          const statuses = await db.selectFrom('message_statuses').select(['message_uuid', 'client_ref', 'status', 'status_at']).where('recipient', '=', to).execute();
          log(`duplicate to +${to}: ledger ${JSON.stringify(entries)}; rows ${JSON.stringify(rows)}; statuses ${JSON.stringify(statuses)}`);
        }
        return audit;
      },
      async close() {
        await stack.killWorker();
        for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
      },
    };

    // A sender and an approved template, through the API as a user would (the worker approves it).
    const sender = await call('POST', '/v1/senders', {
      nickname: 'Chaos', whatsappNumber: `+${number}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId: '900001',
      // An upgraded number: Meta's top throughput, which the engine shares out but never exceeds.
      throughputMps: 1_000,
    });
    const senderId = String(sender.senderId);
    const template = await call('POST', '/v1/templates', { senderId, name: 'chaos_notice', language: 'en', category: 'MARKETING', body: { text: 'Your order is on its way, thank you.' } });
    const templateId = String(template.templateId);
    await stack.startWorker();
    await call('POST', `/v1/templates/${templateId}/submit`);
    for (let waited = 0; (await call('GET', `/v1/templates/${templateId}`)).status !== 'APPROVED'; waited += 200) {
      if (waited > 60_000) throw new Error('the template was not approved within a minute');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (options.faults) simulator.faults = { ...simulator.faults, ...options.faults };
    return stack;
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}

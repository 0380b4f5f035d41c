// `npm run histories:capture`: records the event histories that
// test/workflow/replay.test.ts replays against the current workflow code, so
// a change that breaks determinism fails `npm test` instead of stranding the
// runs in flight after a deploy.
//
// It runs every workflow type the worker registers (workflows/index.ts)
// through its interesting paths for real: a Temporal dev server, a scratch
// database (Postgres at DATABASE_URL, else in-memory PGlite), the Vonage
// simulator playing Vonage and Meta, the API, and the production worker with
// the production workflow bundle. Verdicts and limit changes are forced from
// here through the simulator, so each case takes the path it is named for.
// It then writes each run's history in the proto JSON that
// `temporal workflow show --output json` writes to
// test/fixtures/histories/<workflowType>-<case>.json, replacing the previous
// set only once every case was captured (subfolders are left alone).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Connection, Client, WorkflowNotFoundError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { buildApi } from '../api/server.ts';
import { CampaignsRepository } from '../db/campaigns.ts';
import { SecretBox } from '../db/secret-box.ts';
import { TemplatesRepository } from '../db/templates.ts';
import type { CampaignStatus } from '../domain/campaign.ts';
import { taskQueues } from '../domain/task-queues.ts';
import { templateWorkflowId } from '../domain/template.ts';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.ts';
import { makeTestAccount } from '../test/helpers/simulator.ts';
import { VonageSimulator } from '../vonage/simulator/server.ts';
import type { TemplateStatus as MetaTemplateStatus } from '../vonage/simulator/templates.ts';
import { prepareNamespace } from '../workers/namespace.ts';
import { createEngineWorker } from '../workers/worker.ts';
import { bundleWorkflowsInChildProcess } from '../workers/workflow-bundle.ts';
import type { campaign } from '../workflows/campaign.ts';
import { campaignProgress } from '../workflows/campaign-messages.ts';
import * as engineWorkflows from '../workflows/index.ts';
import type { templateApproval } from '../workflows/template-approval.ts';
import type { warmupGovernor } from '../workflows/warmup-governor.ts';
import { warmupState } from '../workflows/warmup-messages.ts';
import { projectRoot } from './paths.ts';
import { ensureBinary, temporalCli } from './temporal-binaries.ts';
import { freePort, startDevServer, type DevServer } from './temporal-dev-server.ts';

export const historiesDir = join(projectRoot, 'test', 'fixtures', 'histories');

// What @temporalio/common's historyToJSON does (proto JSON, as `temporal workflow show -o json`
// writes it), with the protojson of the protobufjs copy that built @temporalio/proto's types: this
// lockfile gives common and proto separate copies, and common's refuses the other's Types
// ("type must be a Type"), which breaks historyToJSON and historyFromJSON here.
const protojson = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
  toJson(type: unknown, message: unknown): unknown;
};
const { History } = proto.temporal.api.history.v1;
/** One event per line: a third of the size of indented JSON, and a diff still shows which events changed. */
function historyToJSON(history: proto.temporal.api.history.v1.IHistory): string {
  const { events } = protojson.toJson(History, History.fromObject(history)) as { events: unknown[] };
  return `{"events": [\n${events.map((event) => JSON.stringify(event)).join(',\n')}\n]}\n`;
}

const log = (line: string) => console.log(`[capture] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined as T;
      throw error;
    });
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(value)})`);
    await sleep(200);
  }
}

interface Captured {
  file: string;
  workflowType: string;
  events: number;
  json: string;
}

export async function captureHistories(): Promise<Captured[]> {
  // The worker's log at WARN: the Core logs every activation at INFO.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const server: DevServer = await startDevServer({ cliPath: await ensureBinary(temporalCli), port: await freePort() });
    cleanups.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    await prepareNamespace(connection, 'default');
    const client = new Client({ connection, namespace: 'default' });

    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.cleanup());
    const { db } = database;
    log(`Temporal ${server.address}, database ${database.target.kind}`);

    // Every template verdict is forced from here (setStatus), never left to a timer.
    const graphToken = randomBytes(12).toString('hex');
    const simulator = new VonageSimulator({
      statusDelaysMs: { submitted: 10, delivered: 30, read: 60 },
      webhookRetry: { initialDelayMs: 20, maxDelayMs: 200, maxAttempts: 5 },
      templateDecision: { outcome: 'APPROVED', delayMs: 3_600_000 },
      metaAccessToken: graphToken,
    });
    cleanups.push(() => simulator.close());
    const simulatorUrl = await simulator.listen();

    const secrets = new SecretBox(randomBytes(32));
    const apiToken = randomBytes(24).toString('base64url');
    const appSecret = randomBytes(16).toString('hex');
    // Small batches, so that a pause or a cancel lands between two of them whatever the batch in flight does.
    const api = await buildApi({ db, secrets, temporal: client, apiToken, meta: { appSecret }, campaignOptions: { batchSize: 3 }, logLevel: 'warn' });
    cleanups.push(() => api.close());
    const apiUrl = await api.listen({ port: 0, host: '127.0.0.1' });
    simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };

    const nativeConnection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => nativeConnection.close());
    // The production worker with the production bundle: what runs in the histories is what ships.
    const worker: Worker = await createEngineWorker({
      workflowBundle: await bundleWorkflowsInChildProcess(),
      connection: nativeConnection,
      namespace: 'default',
      db,
      secrets,
      vonage: { apiHost: simulatorUrl, timeoutMs: 5_000 },
      metaGraph: { baseUrl: `${simulatorUrl}/graph/v23.0`, accessToken: graphToken },
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    log('worker polling');

    const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST', url: string, payload?: object): Promise<T> => {
      const response = await api.inject({ method, url, headers: { authorization: `Bearer ${apiToken}` }, ...(payload ? { payload } : {}) });
      if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
      return response.json<T>();
    };

    const captured: Captured[] = [];
    const capture = async (workflowType: string, caseName: string, workflowId: string, runId: string) => {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      if (started?.workflowType?.name !== workflowType) throw new Error(`${workflowId} (${runId}) is a ${started?.workflowType?.name}, not a ${workflowType}`);
      const json = historyToJSON(history);
      captured.push({ file: `${workflowType}-${caseName}.json`, workflowType, events: history.events?.length ?? 0, json });
      log(`captured ${workflowType}-${caseName}: ${history.events?.length} events`);
    };
    /** Every run of a continue-as-new chain, first to last, by following each run's last event. */
    const runsOf = async (workflowId: string, firstRunId: string): Promise<string[]> => {
      const runs = [firstRunId];
      for (;;) {
        const history = await client.workflow.getHandle(workflowId, runs.at(-1)).fetchHistory();
        const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        if (!next) return runs;
        runs.push(next);
      }
    };

    // A sender for campaigns and templates (JWT, a WABA), one in a business portfolio for the warm-up.
    const campaignNumber = '447911200001';
    const wabaId = '7100001';
    const account = makeTestAccount({ numbers: [campaignNumber], wabaIds: [wabaId] });
    simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
    const { senderId } = await call<{ senderId: string }>('POST', '/v1/senders', {
      nickname: 'Histories', whatsappNumber: `+${campaignNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId,
    });

    const templates = new TemplatesRepository(db);
    const newTemplate = async (name: string) => (await call<{ templateId: string }>('POST', '/v1/templates', {
      senderId, name, language: 'en_US', category: 'MARKETING', body: { text: 'Hello {{1}}, our spring offer is here.', examples: ['Ana'] },
    })).templateId;
    /** Submits through the API; resolves once Meta (the simulator) holds it, pending. */
    const submit = async (templateId: string) => {
      await call('POST', `/v1/templates/${templateId}/submit`);
      return (await waitFor(`template ${templateId} at Meta`, () => templates.getRow(templateId), (row) => row.provider_template_id !== null && row.status === 'PENDING')).provider_template_id!;
    };
    /** Meta's verdict or later change, announced to the API by signed webhook as Meta does. */
    const metaSays = async (templateId: string, providerTemplateId: string, status: MetaTemplateStatus, reason?: string) => {
      if (!simulator.templates.setStatus(providerTemplateId, status, reason)) throw new Error(`the simulator has no template ${providerTemplateId}`);
      await waitFor(`template ${templateId} ${status}`, () => templates.getRow(templateId), (row) => row.status === status);
    };

    let nextNumber = 0;
    const contacts = async (segment: string, count: number, consent = true) => Promise.all(Array.from({ length: count }, async () => {
      const number = `+4478${String(60_000_000 + nextNumber++)}`;
      await call('POST', '/v1/contacts', {
        whatsappNumber: number, displayName: `Person ${nextNumber}`, attributes: { segment }, ...(consent ? { consent: { marketing: true, proof: 'signup form' } } : {}),
      });
      return number;
    }));
    const sentTo = (numbers: string[]) => simulator.ledger.filter((entry) => numbers.includes(`+${entry.to}`)).length;
    const createCampaign = (templateId: string, segment: string, extra: object = {}) => call<{ campaignId: string; workflowId: string }>('POST', '/v1/campaigns', {
      name: `Histories ${segment}`, senderId, templateId, audience: { kind: 'filter', attributes: { segment } }, parameters: [{ field: 'displayName', default: 'friend' }], ...extra,
    });
    const campaignStatus = async (campaignId: string) => (await call<{ status: CampaignStatus }>('GET', `/v1/campaigns/${campaignId}`)).status;
    const workflowSays = (workflowId: string, status: CampaignStatus) =>
      waitFor(`${workflowId} ${status}`, () => client.workflow.getHandle(workflowId).query(campaignProgress), (progress) => progress.status === status);

    // templateApproval, approved (later paused, approved again, disabled) and campaign, waiting for it.
    const offer = await newTemplate('spring_offer');
    const offerProviderId = await submit(offer);
    const audience = await contacts('spring', 10);
    await contacts('spring', 1, false);
    const main = await createCampaign(offer, 'spring', { ratePerSecond: 2 });
    await workflowSays(main.workflowId, 'WAITING_FOR_TEMPLATE');
    await metaSays(offer, offerProviderId, 'APPROVED');
    await waitFor('the first sends', async () => sentTo(audience), (sent) => sent > 0);
    await call('POST', `/v1/campaigns/${main.campaignId}/pause`);
    await waitFor('the campaign paused', () => campaignStatus(main.campaignId), (status) => status === 'PAUSED');
    await call('POST', `/v1/campaigns/${main.campaignId}/resume`);
    const mainHandle = client.workflow.getHandle<typeof campaign>(main.workflowId);
    await mainHandle.result();
    await capture('campaign', 'waits-pauses-resumes-completes', main.workflowId, (await mainHandle.describe()).runId);

    // campaign: a run that continues as new (a tiny history budget, as test/integration/campaigns.test.ts does).
    await contacts('many', 12);
    const many = await new CampaignsRepository(db).create({
      name: 'Histories many', senderId, templateId: offer, audience: { kind: 'filter', attributes: { segment: 'many' } },
      parameters: [{ value: 'you' }], schedule: { kind: 'now' }, warmup: false,
    }, 'WAITING_FOR_TEMPLATE');
    // One small batch per activity (sendForMs 0, where that option exists) and a tiny history budget.
    const manyOptions = { batchSize: 2, sendForMs: 0, concurrency: 2, continueAfterEvents: 40 };
    const manyHandle = await client.workflow.start<typeof campaign>('campaign', {
      workflowId: many.workflowId, taskQueue: taskQueues.engine, args: [{ campaignId: many.campaignId, options: manyOptions }],
    });
    await manyHandle.result();
    const manyRuns = await runsOf(many.workflowId, manyHandle.firstExecutionRunId);
    if (manyRuns.length < 2) throw new Error('the campaign did not continue as new');
    await capture('campaign', 'continued-as-new-first-run', many.workflowId, manyRuns[0]!);
    await capture('campaign', 'continued-as-new-last-run', many.workflowId, manyRuns.at(-1)!);

    // campaign: one run of a recurring campaign, started by its Schedule.
    await contacts('weekly', 2);
    const weekly = await createCampaign(offer, 'weekly', { schedule: { kind: 'recurring', cron: '0 9 1 1 *', timeZone: 'Europe/London' } });
    const schedule = client.schedule.getHandle(weekly.workflowId);
    await schedule.trigger();
    const firing = (await waitFor('the scheduled run', () => schedule.describe(), (description) => description.info.recentActions.length > 0)).info.recentActions[0]!.action;
    const weeklyHandle = client.workflow.getHandle(firing.workflow.workflowId, firing.workflow.firstExecutionRunId);
    await weeklyHandle.result();
    await capture('campaign', 'recurring-run', firing.workflow.workflowId, firing.workflow.firstExecutionRunId);
    await call('POST', `/v1/campaigns/${weekly.campaignId}/cancel`);

    // campaign: cancelled while sending.
    const cancelAudience = await contacts('cancel', 6);
    const cancelled = await createCampaign(offer, 'cancel', { ratePerSecond: 1 });
    await waitFor('the first send', async () => sentTo(cancelAudience), (sent) => sent > 0);
    await call('POST', `/v1/campaigns/${cancelled.campaignId}/cancel`);
    const cancelledHandle = client.workflow.getHandle(cancelled.workflowId);
    await cancelledHandle.result();
    await capture('campaign', 'cancelled', cancelled.workflowId, (await cancelledHandle.describe()).runId);

    // templateApproval rejected, and the campaign that waited for it fails.
    const rejected = await newTemplate('rejected_offer');
    const rejectedProviderId = await submit(rejected);
    await contacts('rejected', 2);
    const doomed = await createCampaign(rejected, 'rejected');
    await workflowSays(doomed.workflowId, 'WAITING_FOR_TEMPLATE');
    await metaSays(rejected, rejectedProviderId, 'REJECTED', 'TAG_CONTENT_MISMATCH');
    const doomedHandle = client.workflow.getHandle(doomed.workflowId);
    const rejectedHandle = client.workflow.getHandle<typeof templateApproval>(templateWorkflowId(rejected));
    await Promise.all([doomedHandle.result(), rejectedHandle.result()]);
    await capture('campaign', 'template-rejected', doomed.workflowId, (await doomedHandle.describe()).runId);
    await capture('templateApproval', 'rejected', rejectedHandle.workflowId, (await rejectedHandle.describe()).runId);

    // templateApproval: a long wait that continues as new (fast polls, a small history limit), then approved.
    const held = await newTemplate('held_notice');
    const heldHandle = await client.workflow.start<typeof templateApproval>('templateApproval', {
      workflowId: templateWorkflowId(held), taskQueue: taskQueues.engine,
      args: [{ templateId: held, templateName: 'held_notice', timing: { pollInitialMs: 200, pollMaxMs: 200 }, historyLimit: 30 }],
    });
    await waitFor('the approval workflow to continue as new', () => heldHandle.describe(), (description) => description.runId !== heldHandle.firstExecutionRunId);
    const heldProviderId = (await templates.getRow(held)).provider_template_id!;
    await metaSays(held, heldProviderId, 'APPROVED');
    await capture('templateApproval', 'continued-as-new-first-run', heldHandle.workflowId, heldHandle.firstExecutionRunId);

    // serviceReply: the confirmation a STOP is owed.
    const stop = await fetch(`${simulatorUrl}/_sim/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: `+${campaignNumber}`, from: audience[0], text: 'STOP' }),
    });
    if (!stop.ok) throw new Error(`inbound STOP: ${stop.status} ${await stop.text()}`);
    const replyId = `reply/optout-${(await stop.json() as { messageUuid: string }).messageUuid}`;
    await waitFor('the opt-out confirmation', () => client.workflow.getHandle(replyId).describe(), (description) => description.status.name === 'COMPLETED');
    await capture('serviceReply', 'opt-out-confirmation', replyId, (await client.workflow.getHandle(replyId).describe()).runId);

    // templateApproval after approval: Meta pauses the template, reinstates it, then disables it (the end).
    // Meta stamps events by the second and older news is ignored: each change waits for the next second.
    await metaSays(offer, offerProviderId, 'PAUSED', 'LOW_QUALITY');
    await sleep(1_100);
    await metaSays(offer, offerProviderId, 'APPROVED');
    await sleep(1_100);
    await metaSays(offer, offerProviderId, 'DISABLED', 'LOW_QUALITY');
    const offerHandle = client.workflow.getHandle<typeof templateApproval>(templateWorkflowId(offer));
    await offerHandle.result();
    await capture('templateApproval', 'approved-paused-reinstated-disabled', offerHandle.workflowId, (await offerHandle.describe()).runId);

    // warmupGovernor: a few ticks (each polling the Graph API), Meta raising the limit, a pause and a resume,
    // then the day ends (continue-as-new); the next day's run is cancelled. A day is 10 s here, a tick 2.5 s.
    const portfolioId = '5100001';
    const warmupNumber = '447911200002';
    const warmupWaba = '7100002';
    const warmupAccount = makeTestAccount({ numbers: [warmupNumber], wabaIds: [warmupWaba] });
    simulator.accounts.register({ ...warmupAccount, statusUrl: `${apiUrl}/webhooks/vonage/status` });
    await call('POST', '/v1/senders', {
      nickname: 'Warm-up', whatsappNumber: `+${warmupNumber}`, apiKey: warmupAccount.apiKey, apiSecret: warmupAccount.apiSecret,
      signatureSecret: warmupAccount.signatureSecret, wabaId: warmupWaba, portfolioId,
    });
    simulator.meta.define({ id: portfolioId, wabaIds: [warmupWaba], numbers: [warmupNumber] });
    // Started as POST /v1/warmups starts it, with a shorter tick so that a day holds a few.
    const governor = await client.workflow.start<typeof warmupGovernor>('warmupGovernor', {
      workflowId: `warmup/${portfolioId}`, taskQueue: taskQueues.engine,
      args: [{ portfolioId, senderNumbers: [`+${warmupNumber}`], timeScale: 8_640, tickMs: 2_500, quality: 'GREEN' }],
    });
    const governorSays = (what: string, done: (state: Awaited<ReturnType<typeof governorState>>) => boolean) => waitFor(what, governorState, done);
    const governorState = () => client.workflow.getHandle(governor.workflowId).query(warmupState);
    const firstTick = (await governorSays('the first tick', (state) => state.decision.reason !== 'starting')).usage.measuredAtMs;
    await governorSays('a second tick', (state) => state.usage.measuredAtMs > firstTick);
    simulator.meta.set(portfolioId, { limit: 2_000 });
    await governorSays('the new limit', (state) => state.limit === 2_000);
    await call('POST', `/v1/warmups/${portfolioId}/pause`);
    await call('POST', `/v1/warmups/${portfolioId}/resume`);
    const nextDay = await waitFor('the day to end', () => governor.describe(), (description) => description.runId !== governor.firstExecutionRunId, 60_000);
    await capture('warmupGovernor', 'ticks-limit-change-pause-resume-day-end', governor.workflowId, governor.firstExecutionRunId);
    const dayStart = (await governorState()).usage.measuredAtMs;
    await governorSays('a tick of the next day', (state) => state.usage.measuredAtMs > dayStart);
    await call('POST', `/v1/warmups/${portfolioId}/cancel`);
    await client.workflow.getHandle(governor.workflowId, nextDay.runId).result();
    await capture('warmupGovernor', 'next-day-cancelled', governor.workflowId, nextDay.runId);

    const covered = new Set(captured.map((c) => c.workflowType));
    const missing = Object.keys(engineWorkflows).filter((type) => !covered.has(type));
    if (missing.length > 0) throw new Error(`no history captured for ${missing.join(', ')}: add a case`);
    return captured;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}

if (import.meta.main) {
  // The histories are of the code on disk: say so when that is not the committed code.
  const dirty = (() => {
    try {
      return execFileSync('git', ['status', '--porcelain', '--', 'workflows', 'domain'], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return ''; // not a git checkout
    }
  })();
  if (dirty) log(`uncommitted changes in the workflow code; these histories are of the code on disk:\n${dirty}`);
  const captured = await captureHistories();
  mkdirSync(historiesDir, { recursive: true });
  // The previous set goes; subfolders (histories kept from before a patch) stay.
  for (const file of readdirSync(historiesDir).filter((name) => name.endsWith('.json'))) rmSync(join(historiesDir, file));
  for (const { file, json } of captured) writeFileSync(join(historiesDir, file), json);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const { file, events, json } of captured) log(`${file.padEnd(64)} ${String(events).padStart(4)} events ${kb(Buffer.byteLength(json)).padStart(9)}`);
  log(`${captured.length} histories, ${kb(captured.reduce((total, c) => total + Buffer.byteLength(c.json), 0))} in ${historiesDir}`);
  process.exit(0);
}

// The command line (`wce`, cli/main.ts) end to end: the real API listening on
// 127.0.0.1, the engine worker, the Vonage simulator, and the CLI run as a
// child process exactly as a person runs it. The simulator's ledger and the
// database are the ground truth for what its commands did.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../db/contacts.ts';
import { freePort } from '../../scripts/temporal-dev-server.ts';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const appSecret = 'meta-app-secret-cli';
const taskQueue = uniqueTaskQueue('cli');
const fixture = useApiFixture({ meta: { appSecret }, taskQueue });
const sim = useSimulator();
useEngineWorker(fixture, () => sim.url, taskQueue);

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliPath = join(projectRoot, 'cli', 'main.ts');
const ourNumber = '447911123555';
const wabaId = '5550555';
const account = makeTestAccount({ numbers: [ourNumber], wabaIds: [wabaId] });
const files = mkdtempSync(join(tmpdir(), 'wce-cli-'));
let apiUrl: string;
let senderId: string;
let templateId: string;

interface Run { code: number | null; stdout: string; stderr: string }

/** `wce …` as a child process against the fixture's API, with the simulator as Vonage. */
function wce(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: projectRoot,
      env: { ...process.env, WCE_API_URL: apiUrl, WCE_API_TOKEN: fixture.api.token, VONAGE_API_HOST: sim.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function wceJson<T>(args: string[]): Promise<T> {
  const run = await wce([...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
const ledgerFor = (e164: string) => sim.simulator.ledger.filter((entry) => entry.to === e164.slice(1));
const number = (i: number) => `+4478${String(70_000_000 + i)}`;

interface CampaignJson {
  campaignId: string;
  status: string;
  schedule: object;
  progress: { audience: number; sent: number; delivered: number; read: number; failed: number; skipped: number; pending: number; skippedByReason: Record<string, number> };
}

beforeAll(async () => {
  apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
  sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
  sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
  const sender = await request('POST', '/v1/senders', {
    nickname: 'CLI', whatsappNumber: `+${ourNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId,
  });
  expect(sender.statusCode, sender.body).toBe(201);
  senderId = sender.json<{ senderId: string }>().senderId;
  const template = await request('POST', '/v1/templates', {
    senderId, name: 'cli_hello', language: 'en_US', category: 'MARKETING', body: { text: 'Hello {{1}}, good to see you.', examples: ['Ana'] },
  });
  expect(template.statusCode, template.body).toBe(201);
  templateId = template.json<{ templateId: string }>().templateId;
  expect((await request('POST', `/v1/templates/${templateId}/submit`)).statusCode).toBe(202);
});

afterAll(() => rmSync(files, { recursive: true, force: true }));

describe('wce doctor', () => {
  it('passes every check against the running stack, with the simulator as Vonage', async () => {
    const run = await wce(['doctor']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const check of ['API URL', 'API token', 'API', 'database', 'Temporal', 'token accepted', 'Vonage']) {
      expect(run.stdout).toMatch(new RegExp(`^✓ ${check}\\s`, 'm'));
    }
    expect(run.stdout).not.toMatch(/[✗–]/);
    expect(run.stdout).toContain(`${apiUrl} (WCE_API_URL)`);
    expect(run.stdout).toContain(`the Vonage simulator answers at ${sim.url}`);
  });

  it('fails, non-zero, on a token the API refuses, and on a Vonage host that does not answer', async () => {
    const badToken = await wce(['doctor', '--token', 'not-the-api-token-at-all']);
    expect(badToken.code).toBe(1);
    expect(badToken.stdout).toMatch(/^✗ token accepted\s+the API refused the token \(401\)/m);
    expect(badToken.stdout).toMatch(/→ use the API's API_TOKEN .*from --token/);
    expect(badToken.stdout).toMatch(/^✓ database\s/m); // the rest is still checked and reported
    expect(badToken.stdout).toContain('1 check(s) failed.');

    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const noVonage = await wce(['doctor'], { VONAGE_API_HOST: nowhere });
    expect(noVonage.code).toBe(1);
    expect(noVonage.stdout).toMatch(new RegExp(`^✗ Vonage\\s+${nowhere} did not answer within 5 s \\(ECONNREFUSED\\)`, 'm'));

    const noApi = await wce(['doctor'], { WCE_API_URL: nowhere });
    expect(noApi.code).toBe(1);
    expect(noApi.stdout).toMatch(/^✗ API\s+no answer from .*ECONNREFUSED/m);
    expect(noApi.stdout).toMatch(/^– database\s+the API did not answer/m);
  });
});

describe('wce contacts import', () => {
  it('imports a CSV with a progress bar on stderr, stores the good rows and names the bad one by row', async () => {
    const csv = join(files, 'contacts.csv');
    writeFileSync(csv, [
      'phone,name,segment,consent',
      `${number(1)},Ana,cli,true`,
      `${number(2)},"Rui, Jr.",cli,true`,
      'not-a-phone,Bad,cli,true',
      `${number(4)},Eva,cli,true`,
      `${number(5)},,cli,true`,
    ].join('\n'));
    const run = await wce(['contacts', 'import', csv, '--slice-rows', '2', '--proof', 'cli test form']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\[░+\]\s+0% 0\/5 rows/); // the bar before the first answer
    expect(run.stderr).toMatch(/\[█+\] 100% 5\/5 rows · 4 accepted · 1 rejected/);
    expect(run.stdout).toContain(`Imported ${csv}: 5 rows, 4 accepted (4 created, 0 updated), 1 rejected.`);
    // Row 3 of the file is in the second slice: its number is the file's, not the slice's.
    expect(run.stdout).toMatch(/^ {2}row 3 \(line 4\): phone: /m);

    const contacts = new ContactsRepository(fixture.database.db);
    for (const i of [1, 2, 4, 5]) {
      const id = await contacts.findIdByNumber(number(i));
      expect(id, number(i)).toBeDefined();
      expect(await contacts.get(id!)).toMatchObject({ attributes: { segment: 'cli' }, consent: { MARKETING: true, UTILITY: true } });
    }
    expect((await contacts.get((await contacts.findIdByNumber(number(2)))!)).displayName).toBe('Rui, Jr.');
    expect((await contacts.consentHistory((await contacts.findIdByNumber(number(1)))!))[0]).toMatchObject({ source: 'import', proof: 'cli test form' });

    // A file whose header lacks the column asked for is refused whole, as the API's problem says.
    const refused = await wce(['contacts', 'import', csv, '--phone-column', 'mobile']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error 422 Request validation failed');
    expect(refused.stderr).toContain('phoneColumn: the file has no column "mobile"');
  });
});

describe('wce campaign', () => {
  it('creates a campaign that reaches COMPLETED, its counts matching the simulator\'s ledger', { timeout: 90_000 }, async () => {
    const created = await wceJson<CampaignJson>(['campaign', 'create', '--name', 'CLI hello', '--sender', senderId, '--template', templateId, '--audience', 'filter:segment=cli', '--param', 'field:displayName=friend']);
    expect(created.status).toBe('WAITING_FOR_TEMPLATE');

    const waited = await wce(['campaign', 'status', created.campaignId, '--wait', '--timeout', '60']);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain(`Campaign "CLI hello" ${created.campaignId}: COMPLETED`);
    expect(waited.stderr).toMatch(/100% 4\/4 recipients · COMPLETED · 4 sent/);

    const recipients = [1, 2, 4, 5].map(number);
    for (const recipient of recipients) expect(ledgerFor(recipient), recipient).toHaveLength(1);
    expect(ledgerFor(recipients[3]!)[0]!.request).toMatchObject({ template: { name: 'cli_hello', parameters: ['friend'] } });
    await expect.poll(async () => (await wceJson<CampaignJson>(['campaign', 'status', created.campaignId])).progress.read, { timeout: 15_000 }).toBe(4);
    const status = await wceJson<CampaignJson>(['campaign', 'status', created.campaignId]);
    expect(status.progress).toMatchObject({ audience: 4, sent: recipients.flatMap(ledgerFor).length, delivered: 4, read: 4, failed: 0, skipped: 0, pending: 0 });

    const shown = await wce(['campaign', 'status', created.campaignId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^ {2}sent\s+4 \(100%\)$/m);
    expect(shown.stdout).toMatch(/^ {2}read\s+4$/m);
    expect(shown.stdout).toMatch(/^ {2}audience\s+consented contacts with segment="cli"$/m);
  });

  it('pauses, resumes and cancels a running campaign; a recurring one is scheduled and cancelled', { timeout: 90_000 }, async () => {
    const ndjson = join(files, 'slow.ndjson');
    writeFileSync(ndjson, Array.from({ length: 12 }, (_, i) => JSON.stringify({ phone: number(100 + i), segment: 'slow', consent: true })).join('\n'));
    const imported = await wce(['contacts', 'import', ndjson]);
    expect(imported.stdout).toContain('12 rows, 12 accepted (12 created, 0 updated), 0 rejected.');

    const created = await wceJson<CampaignJson>(['campaign', 'create', '--name', 'CLI slow', '--sender', senderId, '--template', templateId, '--audience', 'filter:segment=slow', '--param', 'value:you', '--rate', '1']);
    const paused = await wce(['campaign', 'pause', created.campaignId]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`${created.campaignId}: PAUSED`);
    const again = await wce(['campaign', 'pause', created.campaignId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error 409 Conflict with an existing resource: .*paused/m);

    const resumed = await wce(['campaign', 'resume', created.campaignId]);
    expect(resumed.stdout).toContain(`${created.campaignId}: SENDING`);
    const cancelled = await wce(['campaign', 'cancel', created.campaignId]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`${created.campaignId}: CANCELLED`);

    // Cancelled with most of the audience unsent: they are skipped, never sent later.
    await expect.poll(async () => (await wceJson<CampaignJson>(['campaign', 'status', created.campaignId])).progress.pending, { timeout: 20_000 }).toBe(0);
    const sent = Array.from({ length: 12 }, (_, i) => ledgerFor(number(100 + i)).length).reduce((a, b) => a + b, 0);
    const final = await wceJson<CampaignJson>(['campaign', 'status', created.campaignId]);
    expect(final).toMatchObject({ status: 'CANCELLED' });
    expect(final.progress.sent).toBe(sent);
    expect(sent).toBeLessThan(12);
    expect(final.progress.skipped).toBe(final.progress.audience - sent);
    const waited = await wce(['campaign', 'status', created.campaignId, '--wait']);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain('The campaign ended CANCELLED.');
    expect((await wce(['campaign', 'resume', created.campaignId])).code).toBe(1);

    const weekly = await wceJson<CampaignJson>(['campaign', 'create', '--name', 'CLI weekly', '--sender', senderId, '--template', templateId, '--audience', 'consented', '--param', 'value:you', '--schedule', 'cron:"0 9 1 1 *"@Europe/London']);
    expect(weekly).toMatchObject({ status: 'SCHEDULED', schedule: { kind: 'recurring', cron: '0 9 1 1 *', timeZone: 'Europe/London' } });
    expect((await wce(['campaign', 'cancel', weekly.campaignId])).stdout).toContain(': CANCELLED');
    await expect(fixture.temporal.client.schedule.getHandle(`campaign/${weekly.campaignId}`).describe()).rejects.toThrow();
  });

  it('prints the API\'s problem with its field errors (exit 1), and usage mistakes before any request (exit 2)', async () => {
    const unknownTemplate = crypto.randomUUID();
    const refused = await wce(['campaign', 'create', '--name', 'Bad', '--sender', senderId, '--template', unknownTemplate, '--audience', 'consented']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error 422 Request validation failed$/m);
    expect(refused.stderr).toMatch(/^ {2}templateId: is not a template$/m);
    expect(refused.stderr).toMatch(/\(request id [\w-]+\)/);

    const usage = await wce(['campaign', 'create', '--name', 'Bad', '--sender', senderId, '--template', templateId, '--audience', 'everyone']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--audience must be consented, filter:key=value,… or list:contactId,…');
    const help = await wce(['campaign', 'create', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: wce campaign create --name NAME --sender SENDER_ID --template TEMPLATE_ID --audience AUDIENCE');
    expect((await wce(['campaigns'])).code).toBe(2);
    const campaigns = (await request('GET', '/v1/campaigns?limit=100')).json<{ items: { name: string }[] }>().items;
    expect(campaigns.map((c) => c.name)).not.toContain('Bad');
  });
});

describe('wce warmup', () => {
  it('starts a portfolio\'s governor and shows its rung, quality, allowance and usage', { timeout: 60_000 }, async () => {
    const portfolioId = `6${String(Date.now()).slice(-9)}`;
    const started = await wce(['warmup', 'start', '--portfolio', portfolioId, '--current-limit', '250', '--target-limit', '2000', '--quality', 'green']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`Warm-up of portfolio ${portfolioId} is running as warmup/${portfolioId}.`);

    // The first day on the first rung: 20 % of 250.
    await expect.poll(async () => (await wceJson<{ allowance: number }>(['warmup', 'status', portfolioId])).allowance, { timeout: 20_000 }).toBe(50);
    const shown = await wce(['warmup', 'status', portfolioId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Warm-up of portfolio ${portfolioId} (warmup/${portfolioId}): WARMING`);
    expect(shown.stdout).toMatch(/^ {2}rung\s+250 unique recipients per 24 h since .*, ramp day 1; target 2,000$/m);
    expect(shown.stdout).toMatch(/^ {2}quality\s+GREEN$/m);
    expect(shown.stdout).toMatch(/^ {2}today\s+allowance 50, used 0 in the rolling 24 h/m);
    expect(shown.stdout).toMatch(/^ {2}sending\s+allowed$/m);
    expect(shown.stdout).toMatch(/^ {2}next rung\s+2,000 once 125 unique recipients are reached within 7 days/m);

    const unknown = await wce(['warmup', 'status', '999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error 404 Resource not found: Warm-up of portfolio 999 does not exist\.$/m);

    const cancelled = await wce(['warmup', 'cancel', portfolioId]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`(warmup/${portfolioId}): CANCELLED`);
  });
});

// `npm run demo:warmup`: against a running `TIME_SCALE=1440 npm start` (a day
// per minute), a new business portfolio climbs Meta's ladder in the simulator
// while a warm-up campaign runs: it registers a sender in a fresh portfolio,
// imports 3,000 consented contacts, submits and waits for a template, starts
// the governor and a warm-up campaign, and prints the governor's view until
// the portfolio reaches DEMO_TARGET (10,000 by default). Watch it in the
// Temporal Web UI too: workflows warmup/<portfolio> and campaign/<id>.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from './paths.ts';

const apiUrl = process.env.API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;
const tokenFile = join(dataDir, 'api-token');
const token = process.env.API_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
const target = Number(process.env.DEMO_TARGET ?? 10_000);
const contacts = Number(process.env.DEMO_CONTACTS ?? 3_000);
const timeoutMs = Number(process.env.DEMO_TIMEOUT_S ?? 900) * 1000;
if (!token) throw new Error(`No API token: start the stack with npm start first (it writes ${tokenFile}), or set API_TOKEN.`);

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stamp = () => new Date().toISOString().slice(11, 19);

const suffix = String(Date.now()).slice(-7);
const portfolioId = `2${suffix}`;
const wabaId = `9${suffix}`;
const number = `+4479111${suffix.slice(-5)}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

// The simulator takes the sender's own credentials, as Vonage would check them against its dashboard.
const sender = await call<{ senderId: string }>('POST', '/v1/senders', {
  nickname: `Warm-up demo ${suffix}`, whatsappNumber: number, applicationId: randomUUID(), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  wabaId, portfolioId,
});
console.log(`[${stamp()}] sender ${number} in portfolio ${portfolioId}`);

const rows = Array.from({ length: contacts }, (_, i) => `+4478${suffix.slice(-3)}${String(i).padStart(5, '0')},Demo ${i},true,demo-${suffix}`);
const imported = await call<{ created: number; updated: number }>('POST', '/v1/contacts/import', ['phone,name,consent,segment', ...rows].join('\n'), 'text/csv');
console.log(`[${stamp()}] imported ${JSON.stringify(imported)}`);

const template = await call<{ templateId: string }>('POST', '/v1/templates', { senderId: sender.senderId, name: `warmup_demo_${suffix}`, language: 'en', category: 'MARKETING', body: { text: 'Thanks for joining us: here is what is new this week.' } });
await call('POST', `/v1/templates/${template.templateId}/submit`);
while ((await call<{ status: string }>('GET', `/v1/templates/${template.templateId}`)).status !== 'APPROVED') await sleep(500);
console.log(`[${stamp()}] template approved`);

await call('POST', '/v1/warmups', { portfolioId, quality: 'GREEN', targetLimit: target });
const campaign = await call<{ campaignId: string }>('POST', '/v1/campaigns', {
  name: `Warm-up demo ${suffix}`, senderId: sender.senderId, templateId: template.templateId, warmup: true,
  audience: { kind: 'filter', attributes: { segment: `demo-${suffix}` } },
});
console.log(`[${stamp()}] warm-up governor warmup/${portfolioId} and campaign campaign/${campaign.campaignId} started; Web UI: http://127.0.0.1:8233`);

const started = Date.now();
for (;;) {
  await sleep(5_000);
  const warmup = await call<{ status: string; limit: number | string; allowance: number | string; quality: string; usage: { rollingWindow: number; upgradeWindow: number }; nextRung: { limit: number | string | null; threshold: number | null } }>('GET', `/v1/warmups/${portfolioId}`);
  const progress = (await call<{ progress: { sent: number; pending: number } }>('GET', `/v1/campaigns/${campaign.campaignId}`)).progress;
  console.log(`[${stamp()}] ${warmup.status} limit ${warmup.limit}, allowance ${warmup.allowance}, quality ${warmup.quality}; used ${warmup.usage.rollingWindow} in the rolling window, ${warmup.usage.upgradeWindow} in 7 days (next rung ${warmup.nextRung.limit ?? '-'} at ${warmup.nextRung.threshold ?? '-'}); campaign sent ${progress.sent}, pending ${progress.pending}`);
  if (warmup.status === 'WARM' || (typeof warmup.limit === 'number' && warmup.limit >= target) || warmup.limit === 'UNLIMITED') {
    console.log(`\nReached ${warmup.limit} in ${((Date.now() - started) / 60_000).toFixed(1)} minutes of wall time.`);
    break;
  }
  if (Date.now() - started > timeoutMs) throw new Error('the demo did not reach its target in time');
}
await call('POST', `/v1/campaigns/${campaign.campaignId}/cancel`).catch(() => undefined);

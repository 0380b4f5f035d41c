// `npm run bench:simulator`: accepted sends per second of the Vonage simulator
// on one core (its own process), webhooks off, driven by autocannon from this
// process. Basic and JWT auth, a native template message.
import { generateKeyPairSync } from 'node:crypto';
import { tokenGenerate } from '@vonage/jwt';
import autocannon from 'autocannon';
import { ledgerSize, startSimulatorProcess } from './simulator-process.ts';

const durationSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const account = {
  apiKey: 'benchkey',
  apiSecret: 'bench-secret',
  applicationId: '00000000-0000-4000-8000-000000000001',
  publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};
const body = JSON.stringify({
  to: '447700900123', from: '14155550101', client_ref: 'bench', channel: 'whatsapp', message_type: 'template',
  whatsapp: { policy: 'deterministic', locale: 'en_US' }, template: { name: 'order_update', parameters: ['Ana', '#1234'] },
});
const authHeaders = {
  Basic: `Basic ${Buffer.from(`${account.apiKey}:${account.apiSecret}`).toString('base64')}`,
  JWT: `Bearer ${tokenGenerate(account.applicationId, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())}`,
};

const simulator = await startSimulatorProcess(account);
try {
  console.log(`Vonage simulator, POST /v1/messages, ${connections} connections, ${durationSeconds} s per run, webhooks off\n`);
  console.log('auth   accepted/s   p50 ms   p99 ms   non-2xx   ledger');
  for (const [mode, authorization] of Object.entries(authHeaders)) {
    const before = await ledgerSize(simulator.url);
    const result = await autocannon({
      url: `${simulator.url}/v1/messages`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body,
      connections,
      duration: durationSeconds,
    });
    const accepted = (await ledgerSize(simulator.url)) - before;
    console.log(`${mode.padEnd(6)} ${(accepted / durationSeconds).toFixed(0).padStart(10)}   ${String(result.latency.p50).padStart(6)}   ${String(result.latency.p99).padStart(6)}   ${String(result.non2xx).padStart(7)}   ${accepted}`);
  }
} finally {
  await simulator.stop();
}

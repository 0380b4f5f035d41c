// `npm run bench:adapter`: sends per second through our adapter and the real
// @vonage/server-sdk against the simulator (its own process), for Basic auth,
// JWT with a token per request (the SDK's own behaviour) and JWT with our
// reused token. Also the cost of signing one RS256 token.
import { generateKeyPairSync } from 'node:crypto';
import { tokenGenerate } from '@vonage/jwt';
import { createMessenger, type VonageCredentials } from '../../vonage/messenger.ts';
import { ledgerSize, startSimulatorProcess } from './simulator-process.ts';

const sends = Number(process.env.BENCH_SENDS ?? 5000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const account = {
  apiKey: 'benchkey',
  apiSecret: 'bench-secret',
  applicationId: '00000000-0000-4000-8000-000000000001',
  publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};

const signings = 500;
const signStart = performance.now();
for (let i = 0; i < signings; i++) tokenGenerate(account.applicationId, privatePem);
const signMs = (performance.now() - signStart) / signings;

const runs: [string, VonageCredentials, boolean][] = [
  ['Basic', { apiKey: account.apiKey, apiSecret: account.apiSecret }, true],
  ['JWT, new token per request (SDK default)', { applicationId: account.applicationId, privateKey: privatePem }, false],
  ['JWT, token reused (our adapter)', { applicationId: account.applicationId, privateKey: privatePem }, true],
];

const simulator = await startSimulatorProcess(account);
try {
  console.log(`Adapter + @vonage/server-sdk → simulator: ${sends} template sends per run, ${concurrency} in flight`);
  console.log(`Signing one RS256 application JWT: ${signMs.toFixed(2)} ms\n`);
  console.log('auth                                        sends/s   failures   ledger');
  const sendMany = async (messenger: ReturnType<typeof createMessenger>, count: number) => {
    let next = 0;
    let failures = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        await messenger.send({ kind: 'template', to: '+447700900123', from: '+14155550101', clientRef: `bench-${n}`, name: 'order_update', locale: 'en_US', parameters: ['Ana'] })
          .catch(() => { failures++; });
      }
    }));
    return failures;
  };
  // Warm-up (JIT, connection pool) so the first measured run is not penalised.
  await sendMany(createMessenger(runs[0]![1], { apiHost: simulator.url, timeoutMs: 10_000 }), 1000);
  for (const [name, credentials, reuseJwt] of runs) {
    const messenger = createMessenger(credentials, { apiHost: simulator.url, timeoutMs: 10_000, reuseJwt });
    const before = await ledgerSize(simulator.url);
    const started = performance.now();
    const failures = await sendMany(messenger, sends);
    const seconds = (performance.now() - started) / 1000;
    const accepted = (await ledgerSize(simulator.url)) - before;
    console.log(`${name.padEnd(42)} ${(sends / seconds).toFixed(0).padStart(8)}   ${String(failures).padStart(8)}   ${accepted}`);
  }
} finally {
  await simulator.stop();
}

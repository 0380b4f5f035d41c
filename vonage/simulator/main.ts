// `npm run simulator`: the Vonage simulator on its own. Register accounts and
// script behaviour through /_sim/ (see README); point an SDK's apiHost at it.
import { VonageSimulator } from './server.ts';

const timeScale = Number(process.env.TIME_SCALE ?? 1);
if (!(timeScale >= 1)) throw new Error(`TIME_SCALE must be a number ≥ 1, got ${process.env.TIME_SCALE}`);
const simulator = new VonageSimulator({
  logLevel: process.env.LOG_LEVEL ?? 'warn',
  // Meta's side: windows shortened by TIME_SCALE; the Graph API stand-in accepts META_ACCESS_TOKEN.
  timeScale,
  ...(process.env.META_ACCESS_TOKEN ? { metaAccessToken: process.env.META_ACCESS_TOKEN } : {}),
});
const url = await simulator.listen(Number(process.env.SIMULATOR_PORT ?? 4010), process.env.SIMULATOR_HOST ?? '127.0.0.1');
console.log(`Vonage simulator listening on ${url} (control API under ${url}/_sim/)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}

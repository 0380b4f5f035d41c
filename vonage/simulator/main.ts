// `npm run simulator`: the Vonage simulator on its own. Register accounts and
// script behaviour through /_sim/ (see README); point an SDK's apiHost at it.
import { VonageSimulator } from './server.ts';

const simulator = new VonageSimulator({ logLevel: process.env.LOG_LEVEL ?? 'warn' });
const url = await simulator.listen(Number(process.env.SIMULATOR_PORT ?? 4010), process.env.SIMULATOR_HOST ?? '127.0.0.1');
console.log(`Vonage simulator listening on ${url} (control API under ${url}/_sim/)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}

// `npm run chaos`: a campaign to 20,000 consented recipients (and 2,000
// without consent) while the worker is SIGKILLed and restarted at random at
// least 5 times, the Temporal dev server is SIGKILLed once and restarted on
// its database file, and the simulator answers 2 % 5xx, 1 % 429 and drops
// 0.5 % of its answers after accepting. Then the simulator's ledger is read:
// everyone consented got exactly one message, nobody else got any. Bounded:
// it stops after the campaign ends or CHAOS_TIMEOUT_S, whichever first.
import { startCampaignStack, type Audit } from './campaign-stack.ts';
import { seededRandom } from '../vonage/simulator/prng.ts';

export interface ChaosOptions {
  consented: number;
  unconsented: number;
  workerKills: number;
  temporalKills: number;
  timeoutMs: number;
  seed: number;
  postgresUrl: string;
  /** Caps the campaign's send rate, so a small run lasts long enough for its kills to land mid-send. */
  ratePerSecond?: number;
  log?: (line: string) => void;
}

export interface ChaosResult extends Audit {
  status: string;
  workerKills: number;
  temporalKills: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed);
  const stack = await startCampaignStack({
    consented: options.consented, unconsented: options.unconsented, postgresUrl: options.postgresUrl, log,
    faults: { serverErrorRate: 0.02, throttleRate: 0.01, retryAfterSeconds: 0, dropAfterAcceptRate: 0.005, seed: options.seed },
  });
  try {
    const started = Date.now();
    // Ambiguous sends must be settled within the run: status webhooks confirm them long before this.
    const { campaignId } = await stack.createCampaign(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {});
    let workerKills = 0;
    let temporalKills = 0;
    let status = 'SENDING';
    const ended = () => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(status);
    while (!ended() && Date.now() - started < options.timeoutMs) {
      await sleep(1_000 + random() * 3_000);
      status = (await stack.campaign(campaignId).catch(() => ({ status }))).status;
      if (ended()) break;
      // Temporal goes down once, midway through the worker kills.
      if (temporalKills < options.temporalKills && workerKills >= Math.floor(options.workerKills / 2)) {
        await stack.killAndRestartTemporal();
        temporalKills++;
      } else if (workerKills < options.workerKills) {
        await stack.killWorker();
        workerKills++;
        await sleep(random() * 1_000);
        await stack.startWorker();
      }
      const { progress } = await stack.campaign(campaignId).catch(() => ({ progress: { sent: Number.NaN, audience: Number.NaN } }));
      log(`status ${status}; sent ${progress.sent} of ${progress.audience}; worker kills ${workerKills}, Temporal kills ${temporalKills}`);
    }
    const audit = await stack.audit();
    return { ...audit, status, workerKills, temporalKills, seconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    await stack.close();
  }
}

if (import.meta.main) {
  const result = await runChaos({
    consented: Number(process.env.CHAOS_RECIPIENTS ?? 20_000),
    unconsented: Number(process.env.CHAOS_UNCONSENTED ?? 2_000),
    workerKills: Number(process.env.CHAOS_WORKER_KILLS ?? 5),
    temporalKills: 1,
    timeoutMs: Number(process.env.CHAOS_TIMEOUT_S ?? 900) * 1000,
    seed: Number(process.env.CHAOS_SEED ?? Date.now() % 100_000),
    postgresUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  console.log(`
Campaign ${result.status} in ${result.seconds} s, through ${result.workerKills} worker SIGKILLs and ${result.temporalKills} Temporal server SIGKILL
  consented recipients          ${result.consented}
  received exactly one message  ${result.receivedExactlyOnce}
  duplicates                    ${result.duplicates}
  lost                          ${result.lost}
  messages to non-consented     ${result.strays}
  messages the simulator accepted ${result.accepted}`);
  process.exit(result.status === 'COMPLETED' && result.duplicates === 0 && result.lost === 0 && result.strays === 0 ? 0 : 1);
}

// `npm run bench:campaign`: campaigns to 100,000 consented recipients, limit
// unlimited (the sender governs no portfolio), status webhooks on, against the
// simulator, on the Postgres server (DATABASE_URL, else the local one). Two
// campaigns to the same audience: one with the number at Meta's top throughput
// (1,000 messages/s, which the engine must fill but never exceed), one with
// that cap lifted in the database to find the engine's own speed. For each it
// prints sustained messages/s, the time from POST /v1/campaigns to the first
// message, the worker's peak RSS and the history events per run; then, in the
// same run, the ceiling: the same messages through the same adapter in a bare
// loop with the same concurrency, no Temporal and no database.
import { createMessenger } from '../../vonage/messenger.ts';
import { defaultCampaignOptions } from '../../workflows/campaign.ts';
import { startCampaignStack } from '../campaign-stack.ts';

const recipients = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const postgresUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Messages per second between the 5th and the 95th percentile of acceptance times: the sustained rate, without ramp-up and tail. */
function sustainedRate(acceptedAtMs: number[]): number {
  const sorted = [...acceptedAtMs].sort((a, b) => a - b);
  const from = Math.floor(sorted.length * 0.05);
  const to = Math.floor(sorted.length * 0.95);
  return (to - from) / ((sorted[to]! - sorted[from]!) / 1000);
}

const stack = await startCampaignStack({ consented: recipients, unconsented: 0, postgresUrl, log });

interface CampaignFigures { rate: number; firstMessageMs: number; peakRssMb: number; historyEvents: number[]; exactlyOnce: string; busiestSecond: number }

/** One campaign to everyone, with the number's throughput set to `throughputMps`; the simulator's ledger is its witness. */
async function measureCampaign(label: string, throughputMps: number): Promise<CampaignFigures> {
  stack.simulator.ledger.length = 0;
  await stack.db.updateTable('senders').set({ throughput_mps: throughputMps }).execute();
  log(`${label}: ${recipients} consented contacts, number throughput ${throughputMps} messages/s; starting the campaign`);
  log(`worker resident before the campaign: ${(stack.workerPeakRssKb().sampled / 1024).toFixed(0)} MB`);
  stack.resetWorkerPeak();
  const { campaignId, createdAtMs } = await stack.createCampaign();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const { status, progress } = await stack.campaign(campaignId);
    log(`${status}: sent ${progress.sent} of ${progress.audience}, delivered ${progress.delivered}, pending ${progress.pending}`);
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(status)) break;
  }
  const accepted = stack.simulator.ledger.map((entry) => Date.parse(entry.acceptedAt));
  const first = Math.min(...accepted);
  const perSecond = new Map<number, number>();
  for (const at of accepted) perSecond.set(Math.floor((at - first) / 1000), (perSecond.get(Math.floor((at - first) / 1000)) ?? 0) + 1);
  const historyEvents: number[] = [];
  for await (const execution of stack.temporalClient.workflow.list({ query: `WorkflowId = 'campaign/${campaignId}'` })) historyEvents.push(execution.historyLength);
  const audit = await stack.audit();
  if (process.env.BENCH_PROFILE) {
    const errors = new Map<string, number>();
    for (const d of stack.simulator.webhooks.deliveries) for (const a of d.attempts) { const k = a.error ?? String(a.statusCode); errors.set(k, (errors.get(k) ?? 0) + 1); }
    console.log('webhook attempts', JSON.stringify([...errors]));
  }
  return {
    rate: sustainedRate(accepted),
    firstMessageMs: first - createdAtMs,
    peakRssMb: stack.workerPeakRssKb().sampled / 1024,
    historyEvents,
    exactlyOnce: `${audit.receivedExactlyOnce} of ${audit.consented}, duplicates ${audit.duplicates}, lost ${audit.lost}`,
    busiestSecond: Math.max(...perSecond.values()),
  };
}

function report(title: string, figures: CampaignFigures): string {
  return `${title}
  sustained                    ${figures.rate.toFixed(0)} messages/s (busiest second ${figures.busiestSecond})
  POST to first message        ${(figures.firstMessageMs / 1000).toFixed(2)} s
  worker peak RSS, sending     ${figures.peakRssMb.toFixed(0)} MB (sampled every 0.5 s)
  history events per run       ${figures.historyEvents.join(', ')} (${figures.historyEvents.length} run${figures.historyEvents.length === 1 ? '' : 's'})
  exactly once                 ${figures.exactlyOnce}`;
}

try {
  const atMetaCap = await measureCampaign('at Meta\'s top throughput', 1_000);
  const uncapped = process.env.BENCH_PROFILE ? atMetaCap : await measureCampaign('number cap lifted', 1_000_000);

  // The ceiling: the same adapter, the same simulator, the same concurrency, nothing else.
  stack.simulator.ledger.length = 0;
  stack.simulator.webhooks.clear();
  const messenger = createMessenger(stack.credentials, { apiHost: stack.simulatorUrl, timeoutMs: 10_000 });
  const numbers = (await stack.db.selectFrom('contacts').select('whatsapp_number').execute()).map((row) => row.whatsapp_number!);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: defaultCampaignOptions.concurrency }, async () => {
    while (next < numbers.length) {
      const to = numbers[next++]!;
      await messenger.send({ kind: 'template', to, from: stack.senderNumber, clientRef: `ceiling:${to}`, name: 'chaos_notice', locale: 'en', parameters: [] });
    }
  }));
  const ceilingRate = numbers.length / ((performance.now() - started) / 1000);

  console.log(`
Campaigns to ${recipients} recipients (Postgres server, status webhooks on, ${defaultCampaignOptions.concurrency} sends in flight)
${report('Number at Meta\'s top throughput, 1,000 messages/s', atMetaCap)}
${report('Number cap lifted: the engine\'s own speed', uncapped)}
Ceiling: the same messages through the same adapter, no Temporal, no database
  bare loop                    ${ceilingRate.toFixed(0)} messages/s
  engine (cap lifted) / ceiling ${((uncapped.rate / ceilingRate) * 100).toFixed(0)} %`);
} finally {
  await stack.close();
}

// `npm run bench:campaign`: a campaign to 100,000 consented recipients, limit
// unlimited (the sender governs no portfolio), status webhooks on, against the
// simulator, on the Postgres server (DATABASE_URL, else the local one). It
// prints sustained messages/s, the time from POST /v1/campaigns to the first
// message, the worker's peak RSS and the history events per run; then, in
// the same run, the ceiling: the same messages through the same adapter in a
// bare loop with the same concurrency, no Temporal and no database.
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
try {
  log(`${recipients} consented contacts; starting the campaign`);
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
  const engineRate = sustainedRate(accepted);
  const firstMessageMs = Math.min(...accepted) - createdAtMs;
  const peakRss = stack.workerPeakRssKb();
  const runs: number[] = [];
  for await (const execution of stack.temporalClient.workflow.list({ query: `WorkflowId = 'campaign/${campaignId}'` })) runs.push(execution.historyLength);
  const audit = await stack.audit();

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
Campaign to ${recipients} recipients (Postgres server, status webhooks on, ${defaultCampaignOptions.concurrency} sends in flight)
  sustained                    ${engineRate.toFixed(0)} messages/s
  POST to first message        ${(firstMessageMs / 1000).toFixed(2)} s
  worker peak RSS, sending     ${(peakRss.sampled / 1024).toFixed(0)} MB (sampled every 0.5 s; ${(peakRss.sinceStart / 1024).toFixed(0)} MB since start, which includes bundling the workflow code)
  history events per run       ${runs.join(', ')} (${runs.length} run${runs.length === 1 ? '' : 's'})
  exactly once                 ${audit.receivedExactlyOnce} of ${audit.consented}, duplicates ${audit.duplicates}, lost ${audit.lost}
Ceiling: the same messages through the same adapter, no Temporal, no database
  bare loop                    ${ceilingRate.toFixed(0)} messages/s
  engine / ceiling             ${((engineRate / ceilingRate) * 100).toFixed(0)} %`);
} finally {
  await stack.close();
}

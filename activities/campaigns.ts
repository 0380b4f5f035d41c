// Campaign activities: the plan, the audience snapshot, a batch of sends, the
// reconciliation of ambiguous sends and the campaign's status row. A batch
// claims each message before calling Vonage and settles it after, with the
// message id as client_ref, so however often a batch is retried or a worker
// dies, a message is sent once, or it is ambiguous and reconciled, never
// blindly resent.
import { setTimeout } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CampaignsRepository, SendCandidate, Settlement, SettleOutcome } from '../db/campaigns.ts';
import { coalesce } from './coalesce.ts';
import { NotFoundProblem } from '../domain/problems.ts';
import type { QuotaLedger } from '../db/quota.ts';
import type { ThroughputGate } from '../db/throughput.ts';
import type { SendersRepository } from '../db/senders.ts';
import type { TemplatesRepository } from '../db/templates.ts';
import {
  campaignFatalReason,
  consentScopeFor,
  quietUntil,
  resolveParameters,
  skipReasons,
  type BatchResult,
  type CampaignCounts,
  type CampaignStatus,
  type Schedule,
} from '../domain/campaign.ts';
import type { ConsentScope } from '../domain/consent.ts';
import { bodyParameterNames, type TemplateStatus } from '../domain/template.ts';
import { VonageRequestError } from '../vonage/failures.ts';
import { createMessenger } from '../vonage/messenger.ts';

export interface CampaignActivityDependencies {
  campaigns: CampaignsRepository;
  templates: TemplatesRepository;
  senders: SendersRepository;
  quota: QuotaLedger;
  throughput: ThroughputGate;
  vonage: { apiHost: string; timeoutMs: number };
}

export interface CampaignPlan {
  campaignId: string;
  senderId: string;
  senderNumber: string;
  portfolioId: string | null;
  templateId: string;
  templateName: string;
  locale: string;
  scope: ConsentScope;
  parameterNames: string[];
  ratePerSecond: number | null;
  /** The number's messages per second, shared with every other campaign of it. */
  throughputMps: number;
  schedule: Schedule;
}

export interface BatchInput {
  plan: CampaignPlan;
  runKey: string;
  batchSize: number;
  /** Goes on with further batches while it has sent for less than this (absent: one batch). */
  sendForMs?: number;
  /** Sends in flight at once within the batch. */
  concurrency: number;
  /** Also count the run's messages when the batch is over (for the workflow's progress). */
  withCounts?: boolean;
}

/** Starts spaced 1/rate apart, however many run at once; an abort ends every wait at once. */
function pacer(ratePerSecond: number | null, signal: AbortSignal): () => Promise<void> {
  if (!ratePerSecond) return async () => {};
  const interval = 1000 / ratePerSecond;
  let next = performance.now();
  return async () => {
    const at = Math.max(next, performance.now());
    next = at + interval;
    const wait = at - performance.now();
    if (wait > 0 && !signal.aborted) await setTimeout(wait, undefined, { signal }).catch(() => undefined);
  };
}

/**
 * Send slots from the number's shared token bucket: lanes queue here and one
 * request at a time takes as many slots as are waiting and the bucket holds;
 * the rest wait for it to refill. An abort releases everyone
 * (they see it and send nothing); a database error fails everyone waiting.
 */
function throughputSlots(gate: ThroughputGate, senderId: string, ratePerSecond: number, signal: AbortSignal): () => Promise<void> {
  const waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let pumping = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiting.length > 0 && !signal.aborted) {
        const { granted, waitMs } = await gate.take(senderId, ratePerSecond, waiting.length);
        for (const lane of waiting.splice(0, granted)) lane.resolve();
        if (waiting.length > 0) await setTimeout(waitMs, undefined, { signal }).catch(() => undefined);
      }
      for (const lane of waiting.splice(0)) lane.resolve();
    } catch (error) {
      for (const lane of waiting.splice(0)) lane.reject(error);
    } finally {
      pumping = false;
    }
  };
  return () => new Promise<void>((resolve, reject) => {
    waiting.push({ resolve, reject });
    void pump();
  });
}

/** How often a campaign waiting for quota looks again within one rolling window (24 h: every 30 min). */
const QUOTA_LOOKS_PER_WINDOW = 48;

/** A message is tried at most this often for retryable failures before it fails. */
const MAX_ATTEMPTS = 10;

/** Recording an outcome is worth a few quick tries: losing it would make a known send ambiguous. */
async function retrySettle(write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= 3) throw error;
      await setTimeout(200 * attempt);
    }
  }
}

async function inParallel<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (index < items.length) await run(items[index++]!);
  });
  await Promise.all(lanes);
}

export function createCampaignActivities(deps: CampaignActivityDependencies) {
  const { campaigns, templates, senders, quota } = deps;

  async function sendBatch(plan: CampaignPlan, runKey: string, batchSize: number, concurrency: number, result: BatchResult, context: Context): Promise<BatchResult> {
    const candidates = await campaigns.pending(plan.campaignId, runKey, plan.scope, batchSize);
    if (candidates.length === 0) {
      // Nothing sendable now; some may be waiting for their quiet hours to end.
      const held = await campaigns.nextHeld(plan.campaignId, runKey);
      return held ? { ...result, quietUntil: held.toISOString() } : { ...result, done: true };
    }

    // Consent and parameters as they are now, not as they were at the snapshot.
    const campaignRow = await campaigns.getRow(plan.campaignId);
    const mapping = campaignRow.parameters ?? undefined;
    const now = new Date();
    const held = new Map<number, string[]>();
    const ready: { candidate: SendCandidate; to: string; values: string[] }[] = [];
    const skips = new Map<string, string[]>();
    const skip = (reason: string, id: string) => skips.set(reason, [...(skips.get(reason) ?? []), id]);
    for (const candidate of candidates) {
      if (!candidate.currentNumber) { skip(skipReasons.noNumber, candidate.messageId); continue; }
      if (!candidate.consented) { skip(skipReasons.noConsent, candidate.messageId); continue; }
      const parameters = resolveParameters(plan.parameterNames, mapping, { ...candidate, whatsappNumber: candidate.currentNumber });
      if (!parameters.ok) { skip(`${skipReasons.missingParameter}: ${parameters.missing}`, candidate.messageId); continue; }
      const quietEnds = campaignRow.quiet_hours ? quietUntil(now, campaignRow.quiet_hours, candidate.timeZone) : null;
      if (quietEnds) { held.set(quietEnds.getTime(), [...(held.get(quietEnds.getTime()) ?? []), candidate.messageId]); continue; }
      ready.push({ candidate, to: candidate.currentNumber, values: parameters.values });
    }
    for (const [reason, ids] of skips) {
      await campaigns.skip(ids, reason);
      result.skipped += ids.length;
    }
    for (const [until, ids] of held) await campaigns.holdUntil(ids, new Date(until));
    // Everyone this batch looked at is held: say when the first is due, so the campaign waits instead of looping.
    if (ready.length === 0 && held.size > 0) result.quietUntil = new Date(Math.min(...held.keys())).toISOString();

    // The portfolio's quota: counted before sending, so a crash can only under-send, never exceed.
    let allowed = ready;
    if (plan.portfolioId && ready.length > 0) {
      const grant = await quota.reserve({ portfolioId: plan.portfolioId, senderId: plan.senderId, consumer: `campaign/${plan.campaignId}`, recipients: ready.map((r) => r.to) });
      const granted = new Set([...grant.counted, ...grant.free]);
      allowed = ready.filter((r) => granted.has(r.to));
      result.deferred = ready.length - allowed.length;
      result.quotaReason = grant.reason;
      if (result.deferred > 0) {
        // Room comes back when a counted recipient leaves the window, or sooner when the governor raises the
        // allowance (a new pacing day, a new rung): look again at least every 1/48 of the window.
        const windowMs = (await quota.policy(plan.portfolioId))?.windowMs ?? 3_600_000;
        const soon = Date.now() + windowMs / QUOTA_LOOKS_PER_WINDOW;
        result.quotaRetryAt = new Date(Math.min(grant.retryAt?.getTime() ?? soon, soon)).toISOString();
      }
    }

    // Counted on the worker's metrics endpoint (the Temporal SDK's Prometheus exporter) beside the SDK's own.
    const campaignTag = { campaign_id: plan.campaignId };
    const sentMetric = context.metricMeter.createCounter('wce_messages_sent', 'messages', 'Campaign messages Vonage accepted, by campaign.');
    const failedMetric = context.metricMeter.createCounter('wce_messages_failed', 'messages', 'Campaign messages failed for good, by campaign and reason (Vonage error code or retries_exhausted).');
    const skippedMetric = context.metricMeter.createCounter('wce_messages_skipped', 'messages', 'Campaign recipients skipped at send time, by campaign and reason.');
    for (const [reason, ids] of skips) skippedMetric.add(ids.length, { ...campaignTag, reason });

    const { credentials } = await senders.withCredentials(plan.senderId);
    const messenger = createMessenger(credentials, deps.vonage);
    const nextSlot = pacer(plan.ratePerSecond, context.cancellationSignal);
    const claimOne = coalesce(async (ids: string[]) => {
      const outcome = await campaigns.claimForSend(ids, plan.scope);
      return ids.map((id) => outcome.get(id)!);
    });
    // Recording an outcome is retried on its own: a database hiccup must never turn a known send into an ambiguous one.
    const settleOne = coalesce(async (settlements: Settlement[]) => {
      await retrySettle(() => campaigns.settle(settlements));
      return settlements.map(() => undefined);
    });
    // The first unexpected error stops every lane from starting another send; the
    // batch fails only once the sends already under way have been settled.
    let broken: Error | undefined;
    const stopped = () => broken !== undefined || result.fatal !== null || context.cancellationSignal.aborted;
    const numberSlot = throughputSlots(deps.throughput, plan.senderId, plan.throughputMps, context.cancellationSignal);
    await inParallel(allowed, concurrency, async (item) => {
      await nextSlot();
      if (stopped()) return; // still PENDING: sent on resume or retry, skipped on cancel
      await numberSlot();
      if (stopped()) return;
      try {
        await sendOne(item);
      } catch (error) {
        broken ??= error instanceof Error ? error : new Error(String(error));
      }
    });
    if (broken !== undefined) throw broken;
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    return result;

    async function sendOne({ candidate, to, values }: (typeof allowed)[number]): Promise<void> {
      // Consent is checked again in the claim itself, the last moment before the send leaves.
      const claim = await claimOne(candidate.messageId);
      if (claim === 'no-consent') {
        result.skipped++;
        skippedMetric.add(1, { ...campaignTag, reason: skipReasons.noConsent });
      }
      if (typeof claim !== 'number') return;
      const settle = (outcome: SettleOutcome) => settleOne({ messageId: candidate.messageId, attempt: claim, outcome });
      result.attempted++;
      let messageUuid: string;
      try {
        ({ messageUuid } = await messenger.send({ kind: 'template', to, from: plan.senderNumber, clientRef: candidate.messageId, name: plan.templateName, locale: plan.locale, parameters: values }));
      } catch (error) {
        if (!(error instanceof VonageRequestError)) {
          // Not Vonage's answer (a bug or the process failing): the request may have left.
          result.ambiguous++;
          await settle({ state: 'AMBIGUOUS', reason: String(error) });
          return;
        }
        const fatal = error.verdict.class !== 'ambiguous' ? campaignFatalReason(error.status, error.code) : undefined;
        if (fatal) {
          result.fatal ??= fatal;
          await settle({ state: 'PENDING', reason: fatal });
        } else if (error.code === '1320') {
          // "Message already sent": an earlier attempt of this very message did leave.
          result.sent++;
          sentMetric.add(1, campaignTag);
          await settle({ state: 'SENT', messageUuid: null });
        } else if (error.verdict.class === 'permanent') {
          result.failed++;
          failedMetric.add(1, { ...campaignTag, reason: `vonage_${error.code ?? error.status ?? 'unknown'}` });
          await settle({ state: 'FAILED', reason: error.verdict.reason });
        } else if (error.verdict.class === 'retryable') {
          if (claim >= MAX_ATTEMPTS) {
            result.failed++;
            failedMetric.add(1, { ...campaignTag, reason: 'retries_exhausted' });
            await settle({ state: 'FAILED', reason: `gave up after ${claim} attempts: ${error.verdict.reason}` });
            return;
          }
          result.retryable++;
          // Backs off per message (1 s, 2 s, 4 s… up to a minute, or what the provider asked): others go on meanwhile.
          const backoffMs = Math.max(error.verdict.retryAfterMs ?? 0, Math.min(1_000 * 2 ** (claim - 1), 60_000));
          await settle({ state: 'PENDING', reason: error.verdict.reason, notBefore: new Date(Date.now() + backoffMs) });
        } else {
          // The request left without an answer: only a status webhook or the reconciliation deadline settles it.
          result.ambiguous++;
          await settle({ state: 'AMBIGUOUS', reason: error.verdict.reason });
        }
        return;
      }
      result.sent++;
      sentMetric.add(1, campaignTag);
      await settle({ state: 'SENT', messageUuid });
    }
  }

  return {
    async loadCampaignPlan({ campaignId }: { campaignId: string }): Promise<CampaignPlan> {
      const campaign = await campaigns.getRow(campaignId).catch((error: unknown) => {
        // No such campaign will ever appear: retrying forever would help nobody.
        throw error instanceof NotFoundProblem ? ApplicationFailure.nonRetryable(error.message, 'CampaignNotFound') : error;
      });
      const template = await templates.getRow(campaign.template_id);
      const sender = await senders.get(campaign.sender_id);
      return {
        campaignId,
        senderId: sender.senderId,
        senderNumber: sender.whatsappNumber,
        portfolioId: sender.portfolioId,
        templateId: template.template_id,
        templateName: template.name,
        locale: template.language,
        scope: consentScopeFor(template.category as Parameters<typeof consentScopeFor>[0]),
        parameterNames: bodyParameterNames(template.content.body.text),
        ratePerSecond: campaign.rate_per_second,
        throughputMps: sender.throughputMps,
        schedule: campaign.schedule,
      };
    },

    async templateStatusOf({ templateId }: { templateId: string }): Promise<TemplateStatus> {
      return (await templates.getRow(templateId)).status;
    },

    async snapshotAudience({ campaignId, runKey, scope }: { campaignId: string; runKey: string; scope: ConsentScope }): Promise<{ audience: number }> {
      return { audience: await campaigns.snapshot(campaignId, runKey, scope) };
    },

    async sendCampaignBatch({ plan, runKey, batchSize, sendForMs = 0, concurrency, withCounts }: BatchInput): Promise<BatchResult> {
      const result: BatchResult = { done: false, attempted: 0, sent: 0, failed: 0, skipped: 0, ambiguous: 0, retryable: 0, deferred: 0, quotaRetryAt: null, quotaReason: null, fatal: null, quietUntil: null, counts: null };
      const context = Context.current();
      // Heartbeats carry the workflow's cancellation (pause, cancel, template paused) to this batch, from its first moment.
      const beat = setInterval(() => context.heartbeat({ attempted: result.attempted }), 1_000);
      context.heartbeat();
      try {
        const started = performance.now();
        // The run's counts (a scan of its messages) are read beside the sending, never in its way.
        const counting = withCounts ? campaigns.counts(plan.campaignId, runKey) : undefined;
        counting?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
        let outcome = await sendBatch(plan, runKey, batchSize, concurrency, result, context);
        // Another batch at once while this one went plainly (everything sendable was sent, nothing held or stopped):
        // each return to the workflow costs a pause in sending, which the number's bucket cannot make up for.
        while (performance.now() - started < sendForMs && outcome.attempted > 0 && !outcome.done && !outcome.fatal && !outcome.quietUntil && outcome.deferred === 0 && !context.cancellationSignal.aborted) {
          outcome = await sendBatch(plan, runKey, batchSize, concurrency, result, context);
        }
        // Stopped between two batches: the workflow learns it as it would within one.
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
        return counting ? { ...outcome, counts: await counting } : outcome;
      } finally {
        clearInterval(beat);
      }
    },

    async reconcileCampaign({ campaignId, runKey, deadlineMs }: { campaignId: string; runKey: string; deadlineMs: number }) {
      return campaigns.reconcile(campaignId, runKey, deadlineMs);
    },

    /** Writes the campaign row's status; with final, also the campaign's counts, and returns those of the run. */
    async recordCampaignStatus({ campaignId, runKey, status, reason, final, unlessStopped }: { campaignId: string; runKey?: string; status: CampaignStatus; reason: string | null; final?: boolean; unlessStopped?: boolean }): Promise<CampaignCounts | null> {
      const counts = final ? await campaigns.counts(campaignId) : undefined;
      await campaigns.setStatus(campaignId, status, reason, counts, unlessStopped);
      if (!counts) return null;
      return runKey === undefined ? counts : campaigns.counts(campaignId, runKey);
    },

    async skipRemainingMessages({ campaignId, runKey }: { campaignId: string; runKey: string }): Promise<number> {
      return campaigns.skipRemaining(campaignId, runKey, skipReasons.cancelled);
    },
  };
}

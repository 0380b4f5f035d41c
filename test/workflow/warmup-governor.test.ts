// warmupGovernor on the time-skipping server: 60 days in seconds, against a
// scripted provider standing in for Meta (the activity the governor calls is
// the test's: consumers use everything they are allowed, and "Meta" upgrades
// the portfolio six hours after it qualifies, unless quality is RED; quality
// and an account restriction arrive as webhook signals on a script; a number
// restriction is only visible to the governor's Graph API poll). What is
// checked is what the governor told the quota ledger, tick by tick.
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncPortfolioQuotaInput } from '../../activities/warmup.ts';
import type { QuotaPolicy } from '../../db/quota.ts';
import { defaultLadder, nextRung, upgradeThreshold, type MessagingLimit } from '../../domain/messaging-limits.ts';
import { controlWarmup, portfolioObserved, warmupState, type PortfolioObservation } from '../../workflows/warmup-messages.ts';
import type { warmupGovernor } from '../fixtures/workflows.ts';
import { createTestWorker, createTimeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const taskQueue = uniqueTaskQueue('warmup');
const workflowId = 'warmup/portfolio-60-days';

/** Meta, as far as this portfolio is concerned, on a script measured in days from the start. */
class ScriptedMeta {
  startMs: number | null = null;
  limit: MessagingLimit = 250;
  quality: 'GREEN' | 'RED' = 'GREEN';
  qualifiedAtMs: number | null = null;
  sends: { atMs: number; count: number }[] = [];
  policies: (QuotaPolicy & { atMs: number })[] = [];
  limits: { atMs: number; limit: MessagingLimit }[] = [];
  script: { day: number; observation: Omit<PortfolioObservation, 'observedAtMs' | 'source'>; done?: boolean }[] = [
    { day: 3, observation: { quality: 'RED' } },
    { day: 6, observation: { quality: 'GREEN' } },
    { day: 40, observation: { restricted: true } },
    { day: 42, observation: { restricted: false } },
  ];
  /** Days during which the Graph API reports the number restricted (polls say CONNECTED otherwise, which lifts no account restriction). */
  restrictedDays = { from: 50, to: 52 };
  polls = 0;
  cancelled = false;

  readonly env: () => TestWorkflowEnvironment;

  constructor(env: () => TestWorkflowEnvironment) {
    this.env = env;
  }

  #sum(fromMs: number, toMs: number) {
    return this.sends.filter((s) => s.atMs > fromMs && s.atMs <= toMs).reduce((total, s) => total + s.count, 0);
  }

  /** The Graph API poll: the limit, and the number's status on the script. */
  poll(): PortfolioObservation {
    const atMs = Context.current().info.scheduledTimestampMs;
    this.startMs ??= atMs;
    this.polls++;
    const day = (atMs - this.startMs) / DAY;
    return { limit: this.limit, numbersRestricted: day >= this.restrictedDays.from && day < this.restrictedDays.to, observedAtMs: atMs, source: 'poll' };
  }

  async sync(input: SyncPortfolioQuotaInput): Promise<{ window: number; upgradeWindow: number }> {
    const atMs = Context.current().info.scheduledTimestampMs;
    this.startMs ??= atMs;
    const day = (atMs - this.startMs) / DAY;
    const handle = this.env().client.workflow.getHandle(workflowId);
    if (input.policy) this.policies.push({ ...input.policy, atMs });
    const policy = this.policies.at(-1)!;
    // The campaigns use everything the governor allows (one recipient = one count; unlimited = 150,000 a day).
    if (policy.sendingAllowed) {
      const room = (policy.allowance ?? 150_000) - this.#sum(atMs - input.windowMs, atMs);
      if (room > 0) this.sends.push({ atMs, count: room });
    }
    const usage = { window: this.#sum(atMs - input.windowMs, atMs), upgradeWindow: this.#sum(atMs - input.upgradeWindowMs, atMs) };

    // Meta: qualify at half the limit in 7 days with quality not RED; upgrade one rung six hours later.
    const threshold = upgradeThreshold(defaultLadder, this.limit);
    if (this.qualifiedAtMs === null && threshold !== undefined && usage.upgradeWindow >= threshold && this.quality !== 'RED') this.qualifiedAtMs = atMs;
    if (this.qualifiedAtMs !== null && atMs >= this.qualifiedAtMs + 6 * HOUR && this.quality !== 'RED') {
      this.limit = nextRung(defaultLadder, this.limit) ?? null;
      this.limits.push({ atMs, limit: this.limit });
      this.qualifiedAtMs = null;
      await handle.signal(portfolioObserved, { limit: this.limit, observedAtMs: atMs, source: 'webhook', event: 'business_capability_update' });
    }
    for (const step of this.script.filter((s) => !s.done && day >= s.day)) {
      step.done = true;
      if (step.observation.quality) this.quality = step.observation.quality as 'GREEN' | 'RED';
      await handle.signal(portfolioObserved, { ...step.observation, observedAtMs: atMs, source: 'webhook' });
    }
    if (day >= 60 && !this.cancelled) {
      this.cancelled = true;
      await handle.executeUpdate(controlWarmup, { args: ['cancel'] });
    }
    return usage;
  }
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const meta = new ScriptedMeta(() => env);

beforeAll(async () => {
  env = await createTimeSkippingEnvironment();
  worker = await createTestWorker(env.nativeConnection, {
    taskQueue,
    activities: { syncPortfolioQuota: (input: SyncPortfolioQuotaInput) => meta.sync(input), pollPortfolioStanding: async () => meta.poll() },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('warmupGovernor over 60 simulated days', () => {
  it('climbs 250 → 2K → 10K → 100K, stops on RED and on a restriction, resumes on recovery, with small histories', async () => {
    const handle = await env.client.workflow.start<typeof warmupGovernor>('warmupGovernor', {
      workflowId, taskQueue, args: [{ portfolioId: 'portfolio-60-days', senderNumbers: ['+447911123456'], quality: 'GREEN', tickMs: 6 * HOUR }],
    });
    expect(await handle.result()).toMatchObject({ status: 'CANCELLED' });
    const start = meta.startMs!;
    const dayOf = (atMs: number) => (atMs - start) / DAY;

    // The ladder, one rung at a time, and only while quality allowed it.
    expect(meta.limits.map((l) => l.limit).slice(0, 3)).toEqual([2_000, 10_000, 100_000]);
    for (const { atMs } of meta.limits) expect(dayOf(atMs) < 3 || dayOf(atMs) >= 6).toBe(true);
    expect(dayOf(meta.limits.find((l) => l.limit === 100_000)!.atMs)).toBeLessThan(20);

    // Never more than the limit; nothing at all while RED or restricted; sending again after each recovery.
    let limit: MessagingLimit = 250;
    for (const policy of meta.policies) {
      limit = meta.limits.filter((l) => l.atMs <= policy.atMs).at(-1)?.limit ?? 250;
      if (policy.allowance !== null && limit !== null) expect(policy.allowance).toBeLessThanOrEqual(limit);
      const day = dayOf(policy.atMs);
      if ((day > 3.3 && day < 6) || (day > 40.3 && day < 42) || (day > 50.3 && day < 52)) expect(policy.sendingAllowed, `day ${day.toFixed(2)}`).toBe(false);
    }
    const held = meta.policies.filter((p) => !p.sendingAllowed);
    expect(held.some((p) => p.reason?.includes('RED'))).toBe(true);
    expect(held.some((p) => p.reason?.includes('restricted'))).toBe(true);
    expect(meta.polls).toBeGreaterThanOrEqual(60 * 4); // every 6-hour tick
    expect(meta.policies.some((p) => p.sendingAllowed && dayOf(p.atMs) > 6 && dayOf(p.atMs) < 7)).toBe(true);
    expect(meta.policies.some((p) => p.sendingAllowed && dayOf(p.atMs) > 42 && dayOf(p.atMs) < 43)).toBe(true);
    expect(meta.policies.some((p) => p.sendingAllowed && dayOf(p.atMs) > 52 && dayOf(p.atMs) < 53)).toBe(true);

    // One run per day, each far below 10,000 events; the final state carries the days.
    const state = await handle.query(warmupState);
    expect(state.history.length).toBeGreaterThanOrEqual(55); // a rung change starts a fresh pacing day
    expect(Math.max(...state.history.map((d) => d.historyEvents))).toBeLessThan(10_000);
    expect((await handle.fetchHistory()).events!.length).toBeLessThan(10_000);
    expect(state).toMatchObject({ status: 'CANCELLED', portfolioId: 'portfolio-60-days' });
    // Cancelled while a tick's write was in flight: the last word to the ledger is still "hold".
    expect(meta.policies.at(-1)).toMatchObject({ sendingAllowed: false, reason: expect.stringContaining('cancelled') });
  }, 120_000);
});

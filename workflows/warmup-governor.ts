// warmupGovernor (workflow id warmup/<portfolioId>): the send authority of one
// business portfolio, for weeks. It climbs Meta's messaging-limit ladder as
// fast as quality allows and never past the limit:
//
// - Every tick it decides what the portfolio may send (domain/messaging-limits:
//   the paced allowance while WARMING, the whole limit once WARM, nothing while
//   quality is RED, the number restricted, or an operator paused it) and
//   writes that policy to the quota ledger, which every send consumes
//   (db/quota.ts); the same activity reads back the portfolio's usage.
// - Limit, quality and restriction changes arrive as portfolioObserved signals
//   (the API forwards Meta's webhooks) and from a poll of Meta's Graph API each
//   tick (Vonage may not forward those webhooks); both go through the same
//   pending queue, and anything older than what is known is ignored.
// - Pause, resume and cancel are an update with a validator, so a refused
//   control is an error for the caller and never reaches the history.
// - Each pacing day ends by continuing as new with the state it needs (the
//   last 90 days of history), so a run's history stays at about a day's ticks.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import {
  decideSending,
  defaultLadder,
  defaultRamp,
  limitAtLeast,
  limitWindows,
  qualityRank,
  rampAdvances,
  upgradeOutlook,
  type LadderConfig,
  type MessagingLimit,
  type Quality,
  type RampProfile,
  type SendDecision,
} from '../domain/messaging-limits.ts';
import { EngineStatus, PortfolioId, SenderNumber } from './search-attributes.ts';
import { controlWarmup, portfolioObserved, warmupState, type PortfolioObservation, type WarmupControl, type WarmupState } from './warmup-messages.ts';

export interface WarmupInput {
  portfolioId: string;
  senderNumbers?: string[];
  /** The limit Meta currently gives the portfolio (default: the ladder's first rung). */
  currentLimit?: MessagingLimit;
  /** The rung at which the portfolio counts as warm (default 100,000). */
  targetLimit?: MessagingLimit;
  quality?: Quality;
  ladder?: Partial<LadderConfig>;
  ramp?: Partial<RampProfile>;
  /** Shortens every window and day (demos); production uses 1. */
  timeScale?: number;
  /** How often the governor re-decides and re-reads usage (default: a 24th of a day). */
  tickMs?: number;
  /** How often it asks Meta's Graph API for limit and quality (default: every tick). */
  pollMs?: number;
  /** Carried across continue-as-new; absent on the first run. */
  state?: WarmupState;
}

export interface WarmupResult {
  status: WarmupState['status'];
  limit: MessagingLimit;
}

const { syncPortfolioQuota } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

// A poll is best effort: a few quick attempts, then the tick goes on with what webhooks said.
const { pollPortfolioStanding } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

const HISTORY_DAYS_KEPT = 90;
/** A backstop far below Temporal's limits in case a day holds unusually many signals. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 5_000;

const sameDecision = (a: SendDecision | null, b: SendDecision) =>
  a !== null && a.sendingAllowed === b.sendingAllowed && a.allowance === b.allowance && a.reason === b.reason;

export async function warmupGovernor(input: WarmupInput): Promise<WarmupResult> {
  const ladder: LadderConfig = { ...defaultLadder, ...input.ladder };
  const ramp: RampProfile = { ...defaultRamp, ...input.ramp };
  const windows = limitWindows(ladder, input.timeScale ?? 1);
  const tickMs = input.tickMs ?? windows.dayMs / 24;
  const pollMs = input.pollMs ?? tickMs;
  const now = Date.now();
  const state: WarmupState = input.state ?? {
    portfolioId: input.portfolioId,
    senderNumbers: input.senderNumbers ?? [],
    status: 'WARMING',
    limit: input.currentLimit === undefined ? ladder.rungs[0]! : input.currentLimit,
    targetLimit: input.targetLimit === undefined ? 100_000 : input.targetLimit,
    quality: input.quality ?? 'UNKNOWN',
    restricted: false,
    dayOnRung: 0,
    dayStartedAtMs: now,
    rungSinceMs: now,
    eligibleSinceMs: null,
    usage: { window: 0, upgradeWindow: 0, measuredAtMs: now },
    decision: { sendingAllowed: false, allowance: 0, reason: 'starting' },
    outlook: null,
    observedAtMs: { limit: 0, quality: 0, restricted: 0 },
    history: [],
    startedAtMs: now,
    pending: [],
  };
  // Nothing recorded yet in this run: the first tick writes the policy whatever it was.
  let recorded: SendDecision | null = null;

  setHandler(warmupState, () => state);
  setHandler(portfolioObserved, (observation) => {
    state.pending.push(observation);
  });
  setHandler(controlWarmup, (control: WarmupControl) => {
    if (control === 'cancel') state.status = 'CANCELLED';
    else if (control === 'pause') state.status = 'PAUSED';
    else state.status = limitAtLeast(state.limit, state.targetLimit) ? 'WARM' : 'WARMING';
    return state.status;
  }, {
    validator: (control: WarmupControl) => {
      if (state.status === 'CANCELLED') throw new Error('the warm-up was cancelled');
      if (control === 'pause' && state.status === 'PAUSED') throw new Error('the warm-up is already paused');
      if (control === 'resume' && state.status !== 'PAUSED') throw new Error('the warm-up is not paused');
    },
  });

  const apply = (observation: PortfolioObservation) => {
    const at = observation.observedAtMs;
    if (observation.limit !== undefined && at >= state.observedAtMs.limit) {
      state.observedAtMs.limit = at;
      if (observation.limit !== state.limit) {
        // A new rung (or a downgrade): pacing starts over on it, with a whole first day.
        state.limit = observation.limit;
        state.dayOnRung = 0;
        state.rungSinceMs = Date.now();
        state.dayStartedAtMs = Date.now();
        state.eligibleSinceMs = null;
      }
    }
    // Same instant (Meta stamps whole seconds): the worse quality wins, whatever the arrival order.
    if (observation.quality !== undefined && (at > state.observedAtMs.quality || (at === state.observedAtMs.quality && qualityRank[observation.quality] > qualityRank[state.quality]))) {
      state.observedAtMs.quality = at;
      state.quality = observation.quality;
    }
    if (observation.restricted !== undefined && at >= state.observedAtMs.restricted) {
      state.observedAtMs.restricted = at;
      state.restricted = observation.restricted;
    }
    if (observation.numbersRestricted !== undefined && at >= (state.observedAtMs.numbersRestricted ?? 0)) {
      state.observedAtMs.numbersRestricted = at;
      state.numbersRestricted = observation.numbersRestricted;
    }
  };

  // Sends stop while the account or any number is restricted; each is lifted by its own source.
  const view = () => ({ status: state.status, limit: state.limit, quality: state.quality, restricted: state.restricted || state.numbersRestricted === true, dayOnRung: state.dayOnRung });

  let publishedStatus: string | null = null;
  const publish = () => {
    setDetails();
    if (publishedStatus === state.status) return; // one search-attribute event per change, not per tick
    publishedStatus = state.status;
    upsertSearchAttributes([
      { key: PortfolioId, value: state.portfolioId },
      { key: EngineStatus, value: state.status },
      ...(state.senderNumbers[0] ? [{ key: SenderNumber, value: state.senderNumbers[0] }] : []),
    ]);
  };
  const setDetails = () => {
    const limit = state.limit === null ? 'unlimited' : state.limit.toLocaleString('en');
    const allowance = state.decision.allowance === null ? 'no cap' : `${state.decision.allowance} / rolling window`;
    setCurrentDetails([
      `**${state.status}** · limit ${limit} · quality ${state.quality}${view().restricted ? ' · restricted' : ''}`,
      `allowance ${allowance}; used ${state.usage.window} in the window, ${state.usage.upgradeWindow} in the upgrade window`,
      state.decision.reason ? `held: ${state.decision.reason}` : '',
      state.outlook?.expectedAtMs ? `next rung (${state.outlook.nextLimit ?? 'unlimited'}) expected ${new Date(state.outlook.expectedAtMs).toISOString()}` : '',
    ].filter(Boolean).join('\n\n'));
  };

  // The poll runs beside the tick, never before it: a slow or failing Graph API
  // must not hold back a RED or restriction webhook already waiting in pending.
  let lastPollMs = Number.NEGATIVE_INFINITY;
  const inFlight: { poll: Promise<void> | null } = { poll: null };
  const pollIfDue = () => {
    if (inFlight.poll || state.status === 'CANCELLED' || Date.now() - lastPollMs < pollMs) return;
    lastPollMs = Date.now();
    inFlight.poll = pollPortfolioStanding({ portfolioId: state.portfolioId }).then((observed) => {
      if (observed) state.pending.push(observed);
    }, (error: unknown) => {
      if (isCancellation(error)) throw error;
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
      log.warn('Meta Graph poll failed; keeping what webhooks and earlier polls said', { error: cause ?? (error instanceof Error ? error.message : String(error)) });
    }).finally(() => {
      inFlight.poll = null;
    });
  };
  // Runs started before polling existed replay without it.
  const polls = patched('meta-graph-poll');

  for (;;) {
    if (polls) pollIfDue();
    for (const observation of state.pending.splice(0)) apply(observation);
    if (state.status === 'WARMING' && limitAtLeast(state.limit, state.targetLimit)) state.status = 'WARM';
    // Meta lowered a warm portfolio's limit: it is paced again from the new rung.
    if (state.status === 'WARM' && !limitAtLeast(state.limit, state.targetLimit)) state.status = 'WARMING';

    state.decision = decideSending(view(), ramp);
    const usage = await syncPortfolioQuota({
      portfolioId: state.portfolioId,
      policy: sameDecision(recorded, state.decision) ? null : { ...state.decision, messagingLimit: state.limit, windowMs: windows.quotaWindowMs, serviceWindowMs: windows.quotaServiceWindowMs },
      windowMs: windows.windowMs,
      upgradeWindowMs: windows.upgradeWindowMs,
      quality: state.quality,
    });
    recorded = state.decision;
    state.usage = { ...usage, measuredAtMs: Date.now() };
    const outlook = upgradeOutlook(ladder, ramp, windows, view(), usage, Date.now(), state.eligibleSinceMs);
    state.eligibleSinceMs = outlook.eligible ? state.eligibleSinceMs ?? Date.now() : null;
    state.outlook = outlook;
    publish();

    if (state.status === 'CANCELLED') {
      // Cancelled while the tick's write was in flight: write the held policy before ending, or sends would go on.
      if (!sameDecision(recorded, decideSending(view(), ramp))) continue;
      await condition(allHandlersFinished);
      return { status: state.status, limit: state.limit };
    }

    const dayEnded = Date.now() >= state.dayStartedAtMs + windows.dayMs;
    if (dayEnded || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_EVENTS_BEFORE_CONTINUE) {
      if (dayEnded) {
        state.history.push({
          startedAtMs: state.dayStartedAtMs,
          limit: state.limit,
          quality: state.quality,
          allowance: state.decision.allowance,
          sendingAllowed: state.decision.sendingAllowed,
          used: state.usage.window,
          historyEvents: workflowInfo().historyLength,
        });
        state.history.splice(0, Math.max(0, state.history.length - HISTORY_DAYS_KEPT));
        // The ramp grows only on days that sent at a growing quality; a held day holds it.
        if (state.status === 'WARMING' && state.decision.sendingAllowed && rampAdvances(state.quality)) state.dayOnRung++;
        state.dayStartedAtMs += windows.dayMs * Math.floor((Date.now() - state.dayStartedAtMs) / windows.dayMs);
      }
      await inFlight.poll;
      await condition(allHandlersFinished);
      await continueAsNew<typeof warmupGovernor>({ ...input, state });
    }
    await condition(() => state.pending.length > 0 || !sameDecision(recorded, decideSending(view(), ramp)), tickMs);
  }
}

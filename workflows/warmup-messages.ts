// Messages of the warmupGovernor workflow, defined once and imported by the
// workflow, the API (routes, Meta webhooks) and tests.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MessagingLimit, Quality, SendDecision, UpgradeOutlook, WarmupStatus } from '../domain/messaging-limits.ts';

/**
 * What the provider says about the portfolio: any subset of limit, quality
 * and restriction, as of a moment. Webhooks and polls both arrive as this;
 * a field older than what the governor already knows is stale and ignored.
 */
export interface PortfolioObservation {
  limit?: MessagingLimit;
  quality?: Quality;
  /** The account is restricted (Meta's account_update / account_alerts). */
  restricted?: boolean;
  /** Whether any of the portfolio's numbers is restricted, as Meta's Graph API lists them (polls). */
  numbersRestricted?: boolean;
  observedAtMs: number;
  source: 'webhook' | 'poll' | 'operator';
  /** The provider's event name, for the day's notes (e.g. business_capability_update). */
  event?: string;
}

/** One pacing day, kept for the chart and the record. */
export interface WarmupDay {
  startedAtMs: number;
  limit: MessagingLimit;
  quality: Quality;
  allowance: number | null;
  sendingAllowed: boolean;
  /** Distinct recipients counted in the rolling window at the day's end. */
  used: number;
  /** History events of the run that ended the day (each run covers one day). */
  historyEvents: number;
}

export interface WarmupState {
  portfolioId: string;
  senderNumbers: string[];
  status: WarmupStatus;
  limit: MessagingLimit;
  targetLimit: MessagingLimit;
  quality: Quality;
  restricted: boolean;
  /** Absent in runs started before number restrictions were polled. */
  numbersRestricted?: boolean;
  dayOnRung: number;
  dayStartedAtMs: number;
  rungSinceMs: number;
  eligibleSinceMs: number | null;
  usage: { window: number; upgradeWindow: number; measuredAtMs: number };
  decision: SendDecision;
  outlook: UpgradeOutlook | null;
  /** Per field, the time of the newest observation applied. */
  observedAtMs: { limit: number; quality: number; restricted: number; numbersRestricted?: number };
  history: WarmupDay[];
  startedAtMs: number;
  /** Observations and controls received but not yet applied, handed over at continue-as-new. */
  pending: PortfolioObservation[];
}

export type WarmupControl = 'pause' | 'resume' | 'cancel';

export const warmupState = defineQuery<WarmupState>('warmupState');
export const portfolioObserved = defineSignal<[PortfolioObservation]>('portfolioObserved');
/** Pause, resume or cancel; refused (validator) when it makes no sense in the current status. Returns the new status. */
export const controlWarmup = defineUpdate<WarmupStatus, [WarmupControl]>('controlWarmup');

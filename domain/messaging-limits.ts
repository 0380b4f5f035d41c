// Meta's messaging-limit ladder as data, and the warm-up rules over it. Meta
// caps the unique users a business may message outside a customer-service
// window in any rolling 24 h, and raises the cap one rung at a time when the
// business used at least half of it within 7 days at good quality
// (../shared/reference/whatsapp.md §1). Meta changes these numbers (the 2K and
// 10K rungs are disputed for 2026), so every figure here is configuration with
// the reference's values as defaults. Pure: the governor workflow, the quota
// ledger and the API share these rules.

export const qualities = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'] as const;
export type Quality = (typeof qualities)[number];
/** Worse is higher; UNKNOWN says nothing. */
export const qualityRank: Readonly<Record<Quality, number>> = { UNKNOWN: 0, GREEN: 1, YELLOW: 2, RED: 3 };

export const warmupStatuses = ['WARMING', 'PAUSED', 'WARM', 'CANCELLED'] as const;
export type WarmupStatus = (typeof warmupStatuses)[number];

/** A messaging limit: unique recipients per rolling window; null = unlimited. */
export type MessagingLimit = number | null;

export interface LadderConfig {
  /** Rungs in climbing order; null (unlimited) can only be the last. */
  rungs: MessagingLimit[];
  /** Share of the current limit that must be used within the upgrade window to qualify for the next rung. */
  upgradeShare: number;
  upgradeWindowDays: number;
  /** Qualities at which Meta still upgrades. */
  upgradeQualities: Quality[];
  /** Meta applies an upgrade within this many hours of qualifying. */
  upgradeDelayHours: number;
  /** Since 7 Oct 2025 the limit belongs to the business portfolio; before, to each number. */
  scope: 'portfolio' | 'number';
}

export const defaultLadder: LadderConfig = {
  rungs: [250, 2_000, 10_000, 100_000, null],
  upgradeShare: 0.5,
  upgradeWindowDays: 7,
  upgradeQualities: ['GREEN', 'YELLOW'],
  upgradeDelayHours: 6,
  scope: 'portfolio',
};

/**
 * How the governor paces a rung: the first day allows startShare of the
 * limit, each GREEN day multiplies by dailyGrowth, never above maxShare of
 * the limit. The defaults (20 %, then 30 %, 45 %…) pass the 50 %-in-7-days
 * threshold on the second day, so each rung's upgrade comes early in the
 * window while volume still rises gently enough for quality to show.
 */
export interface RampProfile {
  startShare: number;
  dailyGrowth: number;
  maxShare: number;
}

export const defaultRamp: RampProfile = { startShare: 0.2, dailyGrowth: 1.5, maxShare: 1 };

/** The windows the rules count over, in milliseconds; a time scale shortens them all for demos. */
export interface LimitWindows {
  /** Meta's rolling window for unique recipients (24 h). */
  windowMs: number;
  /** The customer-service window an inbound message opens (24 h); sends inside it do not count. */
  serviceWindowMs: number;
  /** The governor's pacing day. */
  dayMs: number;
  /** The window the upgrade rule counts usage over (7 days). */
  upgradeWindowMs: number;
  /** How soon after qualifying Meta upgrades (6 h). */
  upgradeDelayMs: number;
  /**
   * What the quota ledger counts with: Meta's windows widened (and the service
   * window narrowed) by 1 %, because Meta stamps a send when it arrives and an
   * inbound message when it was written, a little before and after our own
   * clock does; at the edge of a window we must never be the optimistic side.
   */
  quotaWindowMs: number;
  quotaServiceWindowMs: number;
}

const HOUR = 3_600_000;

export function limitWindows(ladder: LadderConfig, timeScale = 1): LimitWindows {
  if (!(timeScale >= 1)) throw new RangeError('timeScale must be at least 1');
  return {
    windowMs: (24 * HOUR) / timeScale,
    serviceWindowMs: (24 * HOUR) / timeScale,
    dayMs: (24 * HOUR) / timeScale,
    upgradeWindowMs: (ladder.upgradeWindowDays * 24 * HOUR) / timeScale,
    upgradeDelayMs: (ladder.upgradeDelayHours * HOUR) / timeScale,
    quotaWindowMs: (24 * HOUR * 1.01) / timeScale,
    quotaServiceWindowMs: (24 * HOUR * 0.99) / timeScale,
  };
}

const tierValues: Record<string, MessagingLimit> = {
  TIER_50: 50, TIER_250: 250, TIER_1K: 1_000, TIER_2K: 2_000, TIER_10K: 10_000, TIER_100K: 100_000, TIER_UNLIMITED: null,
};

/**
 * A limit as Meta reports it: a tier name (`TIER_2K`), a number (-1 for
 * unlimited, as `max_daily_conversation_per_phone` had it) or a numeric
 * string. undefined for `TIER_NOT_SET` and anything not understood.
 */
export function limitFromProvider(value: unknown): MessagingLimit | undefined {
  if (typeof value === 'number') return value === -1 ? null : Number.isInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const tier = value.trim().toUpperCase();
  if (tier in tierValues) return tierValues[tier];
  return /^\d+$/.test(tier) ? limitFromProvider(Number(tier)) : undefined;
}

export function qualityFromProvider(value: unknown): Quality | undefined {
  if (typeof value !== 'string') return undefined;
  const normalised = value.trim().toUpperCase();
  const aliases: Record<string, Quality> = { HIGH: 'GREEN', MEDIUM: 'YELLOW', LOW: 'RED', NA: 'UNKNOWN' };
  return (qualities as readonly string[]).includes(normalised) ? (normalised as Quality) : aliases[normalised];
}

/** a ≥ b, with null (unlimited) above every number. */
export function limitAtLeast(a: MessagingLimit, b: MessagingLimit): boolean {
  if (a === null) return true;
  return b !== null && a >= b;
}

/** The rung above the given limit, or undefined at the top. A limit between rungs climbs to the next rung above it. */
export function nextRung(ladder: LadderConfig, limit: MessagingLimit): MessagingLimit | undefined {
  if (limit === null) return undefined;
  return ladder.rungs.find((rung) => rung === null || rung > limit);
}

/** Unique recipients needed within the upgrade window to qualify for the next rung; undefined when there is none. */
export function upgradeThreshold(ladder: LadderConfig, limit: MessagingLimit): number | undefined {
  if (limit === null || nextRung(ladder, limit) === undefined) return undefined;
  return Math.ceil(limit * ladder.upgradeShare);
}

/**
 * The paced allowance for one day on a rung: day 0 is the first day at this
 * limit. Unlimited limits are not paced (null).
 */
export function pacedTarget(ramp: RampProfile, limit: MessagingLimit, dayOnRung: number): number | null {
  if (limit === null) return null;
  const share = Math.min(ramp.maxShare, ramp.startShare * ramp.dailyGrowth ** Math.max(0, dayOnRung));
  // The epsilon keeps 250 × 0.2 × 1.5 (75.00000000000001 in floating point) at 75.
  return Math.max(1, Math.min(limit, Math.ceil(limit * share - 1e-9)));
}

export interface GovernorView {
  status: WarmupStatus;
  limit: MessagingLimit;
  quality: Quality;
  /** The provider reported the number or portfolio restricted: no business-initiated sends. */
  restricted: boolean;
  /** Pacing day on the current rung; it advances only on days that end GREEN or UNKNOWN. */
  dayOnRung: number;
}

export interface SendDecision {
  sendingAllowed: boolean;
  /** Unique recipients allowed outside service windows in any rolling window; null = no cap beyond Meta's (unlimited). */
  allowance: number | null;
  /** Why sending is held, for operators. */
  reason: string | null;
}

/**
 * What the governor lets the portfolio send now. The allowance never exceeds
 * the limit; warming portfolios get the paced target; RED quality, a
 * restriction, an operator's pause or cancellation stop business-initiated
 * sends altogether.
 */
export function decideSending(view: GovernorView, ramp: RampProfile): SendDecision {
  const held = (reason: string): SendDecision => ({ sendingAllowed: false, allowance: 0, reason });
  if (view.status === 'CANCELLED') return held('the warm-up was cancelled');
  if (view.status === 'PAUSED') return held('paused by an operator');
  if (view.restricted) return held('the provider reports the number restricted');
  if (view.quality === 'RED') return held('quality is RED: business-initiated sends stop until it recovers');
  if (view.status === 'WARM') return { sendingAllowed: true, allowance: view.limit, reason: null };
  return { sendingAllowed: true, allowance: pacedTarget(ramp, view.limit, view.dayOnRung), reason: null };
}

/** Whether a finished pacing day moves the ramp on: GREEN grows, YELLOW holds, RED (sends stopped) holds. */
export function rampAdvances(quality: Quality): boolean {
  return quality === 'GREEN' || quality === 'UNKNOWN';
}

export interface UpgradeOutlook {
  /** The rung Meta should grant next; undefined at the top of the ladder. */
  nextLimit: MessagingLimit | undefined;
  /** Unique recipients (outside service windows) needed within the upgrade window. */
  threshold: number | undefined;
  eligible: boolean;
  /** When the next rung is expected (ms since epoch); null when quality or status stands in the way. */
  expectedAtMs: number | null;
}

/**
 * Whether and when the portfolio should reach the next rung. Eligible once
 * the upgrade window's usage reaches the threshold at an upgrading quality;
 * Meta then acts within the upgrade delay. Not yet eligible: projected from
 * the paced targets, assuming campaigns use what they are allowed.
 */
export function upgradeOutlook(
  ladder: LadderConfig,
  ramp: RampProfile,
  windows: LimitWindows,
  view: GovernorView,
  usage: { upgradeWindow: number },
  nowMs: number,
  eligibleSinceMs: number | null,
): UpgradeOutlook {
  const nextLimit = nextRung(ladder, view.limit);
  const threshold = upgradeThreshold(ladder, view.limit);
  if (nextLimit === undefined || threshold === undefined) return { nextLimit, threshold, eligible: false, expectedAtMs: null };
  const qualityAllows = ladder.upgradeQualities.includes(view.quality) || view.quality === 'UNKNOWN';
  const eligible = qualityAllows && !view.restricted && usage.upgradeWindow >= threshold;
  if (eligible) return { nextLimit, threshold, eligible, expectedAtMs: (eligibleSinceMs ?? nowMs) + windows.upgradeDelayMs };
  if (!qualityAllows || view.restricted || view.status === 'PAUSED' || view.status === 'CANCELLED' || view.quality === 'RED') {
    return { nextLimit, threshold, eligible, expectedAtMs: null };
  }
  // From the next pacing day on, at the paced target (held, not grown, while YELLOW), until the usage would pass the threshold.
  let used = usage.upgradeWindow;
  const upgradeWindowDays = Math.max(1, Math.round(windows.upgradeWindowMs / windows.dayMs));
  for (let day = 0; day < upgradeWindowDays; day++) {
    used += pacedTarget(ramp, view.limit, view.dayOnRung + (rampAdvances(view.quality) ? day + 1 : 0)) ?? 0;
    if (used >= threshold) return { nextLimit, threshold, eligible, expectedAtMs: nowMs + (day + 1) * windows.dayMs + windows.upgradeDelayMs };
  }
  return { nextLimit, threshold, eligible, expectedAtMs: null };
}

export interface QuotaRequest<T> {
  recipients: T[];
  /** Recipients already counted in the current window: sending again costs nothing. */
  counted: ReadonlySet<T>;
  /** Recipients whose customer-service window is open with the sending number: not counted at all. */
  inServiceWindow: ReadonlySet<T>;
  /** Distinct recipients counted in the current window. */
  used: number;
  decision: SendDecision;
}

export interface QuotaAnswer<T> {
  /** May be sent now, and must be recorded as counted. */
  counted: T[];
  /** May be sent now without counting (open service window). */
  free: T[];
  /** Not now. */
  deferred: T[];
}

/**
 * Which recipients may be sent to now: those in an open service window and
 * those already counted in the window cost nothing; the rest take what is
 * left of the allowance, in the order given (the caller's priority).
 * Duplicates in the request are answered once; a held portfolio defers all.
 */
export function allocateQuota<T>(request: QuotaRequest<T>): QuotaAnswer<T> {
  const answer: QuotaAnswer<T> = { counted: [], free: [], deferred: [] };
  const seen = new Set<T>();
  // A held portfolio sends nothing through campaigns, not even to open windows: quality is what is at stake.
  if (!request.decision.sendingAllowed) return { ...answer, deferred: [...new Set(request.recipients)] };
  const { allowance } = request.decision;
  let remaining = allowance === null ? Infinity : Math.max(0, allowance - request.used);
  // A repeat adds no one to the window ending now, but keeps its recipient in later windows: it is only free
  // while the window is within the allowance (a lowered allowance must not be outlived by a chain of repeats).
  const repeatsAllowed = allowance === null || request.used <= allowance;
  for (const recipient of request.recipients) {
    if (seen.has(recipient)) continue;
    seen.add(recipient);
    if (request.inServiceWindow.has(recipient)) answer.free.push(recipient);
    else if (request.counted.has(recipient)) (repeatsAllowed ? answer.counted : answer.deferred).push(recipient);
    else if (remaining > 0) {
      remaining--;
      answer.counted.push(recipient);
    } else answer.deferred.push(recipient);
  }
  return answer;
}

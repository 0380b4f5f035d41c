// Meta's side of the simulator: business portfolios with a messaging limit.
// Per portfolio it counts the unique recipients its numbers message outside a
// customer-service window in the trailing 24 h, rejects a send that would go
// past the limit, lets quality fall when scripted recipients block or report
// and recover as that feedback ages, and raises the limit one rung within 6 h
// of the portfolio having used half of it in 7 days (quality not RED),
// announcing changes as Meta-shaped webhook changes. Rules follow
// ../shared/reference/whatsapp.md §1; they are Meta's, written here
// independently of the engine's domain/messaging-limits.ts so that tests of the
// engine against this simulator are not the engine checking itself.
// Every window is divided by timeScale: a demo climbs rungs in minutes.

export type SimQuality = 'GREEN' | 'YELLOW' | 'RED';
export type SimLimit = number | null;

export interface MetaRules {
  rungs: readonly SimLimit[];
  upgradeShare: number;
  upgradeWindowMs: number;
  /** The upgrade lands at a random moment within this delay of becoming eligible. */
  upgradeDelayMaxMs: number;
  limitWindowMs: number;
  serviceWindowMs: number;
  quality: { windowMs: number; yellowAt: number; redAt: number; minSample: number };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const metaRules: MetaRules = {
  rungs: [250, 2_000, 10_000, 100_000, null],
  upgradeShare: 0.5,
  upgradeWindowMs: 7 * DAY,
  upgradeDelayMaxMs: 6 * HOUR,
  limitWindowMs: DAY,
  serviceWindowMs: DAY,
  // Negative feedback (blocks, reports) per business-initiated message in the window.
  quality: { windowMs: DAY, yellowAt: 0.02, redAt: 0.05, minSample: 50 },
};

export function scaledRules(timeScale: number, rules: MetaRules = metaRules): MetaRules {
  const scale = (ms: number) => ms / timeScale;
  return {
    ...rules,
    upgradeWindowMs: scale(rules.upgradeWindowMs),
    upgradeDelayMaxMs: scale(rules.upgradeDelayMaxMs),
    limitWindowMs: scale(rules.limitWindowMs),
    serviceWindowMs: scale(rules.serviceWindowMs),
    quality: { ...rules.quality, windowMs: scale(rules.quality.windowMs) },
  };
}

const tierNames = new Map<SimLimit, string>([[250, 'TIER_250'], [1_000, 'TIER_1K'], [2_000, 'TIER_2K'], [10_000, 'TIER_10K'], [100_000, 'TIER_100K'], [null, 'TIER_UNLIMITED']]);
export const tierName = (limit: SimLimit): string => tierNames.get(limit) ?? `TIER_${limit}`;

/** Unique keys seen in a trailing window, counted in amortised O(1). */
class RollingDistinct {
  readonly #windowMs: number;
  readonly #latest = new Map<string, number>();
  readonly #events: { key: string; at: number }[] = [];
  #head = 0;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  add(key: string, at: number): void {
    this.#latest.set(key, at);
    this.#events.push({ key, at });
  }

  has(key: string, now: number): boolean {
    this.#prune(now);
    return this.#latest.has(key);
  }

  size(now: number): number {
    this.#prune(now);
    return this.#latest.size;
  }

  /** When the first key still in the window leaves it (an event superseded by a later one of its key does not count). */
  oldestExpiry(now: number): number | undefined {
    this.#prune(now);
    for (let i = this.#head; i < this.#events.length; i++) {
      const { key, at } = this.#events[i]!;
      if (this.#latest.get(key) === at) return at + this.#windowMs;
    }
    return undefined;
  }

  #prune(now: number): void {
    while (this.#head < this.#events.length && this.#events[this.#head]!.at <= now - this.#windowMs) {
      const { key, at } = this.#events[this.#head++]!;
      if (this.#latest.get(key) === at) this.#latest.delete(key);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

export interface PortfolioDefinition {
  id: string;
  wabaIds: string[];
  /** Business numbers (digits) that share the portfolio's limit. */
  numbers: string[];
  limit?: SimLimit;
  quality?: SimQuality;
}

export interface PortfolioView {
  id: string;
  wabaIds: string[];
  numbers: string[];
  limit: SimLimit;
  quality: SimQuality;
  /** Unique recipients counted in the trailing limit window. */
  uniqueInWindow: number;
  uniqueInUpgradeWindow: number;
  upgradeAt: string | null;
  rejected: number;
}

/** A webhook change as Meta would post it for a WABA. */
export interface MetaChange {
  wabaId: string;
  field: 'business_capability_update' | 'phone_number_quality_update';
  value: Record<string, unknown>;
}

/** counted: a recipient new to the trailing window (a repeat inside it, or an open service window, is free). */
export type Admission = { counted: boolean; rejection?: undefined } | { counted: false; rejection: { code: string; detail: string } };

class Portfolio {
  readonly definition: PortfolioDefinition;
  limit: SimLimit;
  quality: SimQuality;
  rejected = 0;
  readonly window: RollingDistinct;
  readonly upgradeWindow: RollingDistinct;
  readonly messages: RollingDistinct;
  readonly feedback: RollingDistinct;
  upgradeAt: number | null = null;
  upgradeTimer: NodeJS.Timeout | undefined;
  qualityTimer: NodeJS.Timeout | undefined;

  constructor(definition: PortfolioDefinition, rules: MetaRules) {
    this.definition = definition;
    this.limit = definition.limit === undefined ? rules.rungs[0]! : definition.limit;
    this.quality = definition.quality ?? 'GREEN';
    this.window = new RollingDistinct(rules.limitWindowMs);
    this.upgradeWindow = new RollingDistinct(rules.upgradeWindowMs);
    this.messages = new RollingDistinct(rules.quality.windowMs);
    this.feedback = new RollingDistinct(rules.quality.windowMs);
  }

  stopTimers(): void {
    clearTimeout(this.upgradeTimer);
    clearTimeout(this.qualityTimer);
  }
}

export interface MetaPortfoliosOptions {
  rules?: MetaRules;
  now?: () => number;
  random?: () => number;
  /** Where Meta's webhook changes go (the simulator signs and posts them). */
  onChange?: (change: MetaChange) => void;
}

export class MetaPortfolios {
  rules: MetaRules;
  onChange: (change: MetaChange) => void;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #portfolios = new Map<string, Portfolio>();
  readonly #byNumber = new Map<string, Portfolio>();
  /** Last inbound message per business number and customer: opens a service window. */
  readonly #inbound = new Map<string, number>();
  #messageSeq = 0;

  constructor(options: MetaPortfoliosOptions = {}) {
    this.rules = options.rules ?? metaRules;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.onChange = options.onChange ?? (() => {});
  }

  /** Creates or redefines a portfolio; its counters start empty. */
  define(definition: PortfolioDefinition): PortfolioView {
    const previous = this.#portfolios.get(definition.id);
    if (previous) {
      previous.stopTimers();
      for (const number of previous.definition.numbers) this.#byNumber.delete(number);
    }
    const portfolio = new Portfolio(definition, this.rules);
    this.#portfolios.set(definition.id, portfolio);
    for (const number of definition.numbers) this.#byNumber.set(number, portfolio);
    return this.view(definition.id)!;
  }

  /**
   * A number joins an existing portfolio (or founds it): it shares the limit,
   * quality and counts the portfolio already has, as Meta gives new numbers
   * the portfolio's limit at once.
   */
  attach(definition: PortfolioDefinition, number: string): void {
    const existing = this.#portfolios.get(definition.id);
    if (!existing) {
      this.define(definition);
      return;
    }
    const numbers = existing.definition.numbers;
    if (!numbers.includes(number)) numbers.push(number);
    for (const wabaId of definition.wabaIds) if (!existing.definition.wabaIds.includes(wabaId)) existing.definition.wabaIds.push(wabaId);
    this.#byNumber.set(number, existing);
  }

  has(number: string): boolean {
    return this.#byNumber.has(number);
  }

  view(id: string): PortfolioView | undefined {
    const p = this.#portfolios.get(id);
    if (!p) return undefined;
    const now = this.#now();
    return {
      id, wabaIds: p.definition.wabaIds, numbers: p.definition.numbers, limit: p.limit, quality: p.quality,
      uniqueInWindow: p.window.size(now), uniqueInUpgradeWindow: p.upgradeWindow.size(now),
      upgradeAt: p.upgradeAt === null ? null : new Date(p.upgradeAt).toISOString(), rejected: p.rejected,
    };
  }

  /** The Graph API's phone numbers of a WABA; undefined when no portfolio holds it. */
  phoneNumbers(wabaId: string): { numbers: string[]; limit: SimLimit; quality: SimQuality } | undefined {
    const p = [...this.#portfolios.values()].find((candidate) => candidate.definition.wabaIds.includes(wabaId));
    return p && { numbers: p.definition.numbers, limit: p.limit, quality: p.quality };
  }

  /** A customer wrote to a business number: its service window opens. */
  inbound(businessNumber: string, customer: string): void {
    this.#inbound.set(`${businessNumber}:${customer}`, this.#now());
  }

  /**
   * May this business-initiated message go? Inside an open service window it
   * always may and is not counted; otherwise the recipient counts once per
   * trailing window, and a new one past the limit is refused.
   */
  admit(from: string, to: string, negativeFeedback?: 'block' | 'report'): Admission {
    const p = this.#byNumber.get(from);
    if (!p) return { counted: false };
    const now = this.#now();
    const lastInbound = this.#inbound.get(`${from}:${to}`);
    const inServiceWindow = lastInbound !== undefined && now < lastInbound + this.rules.serviceWindowMs;
    if (!inServiceWindow && !p.window.has(to, now) && p.limit !== null && p.window.size(now) >= p.limit) {
      p.rejected++;
      // Meta documents no code of its own for the portfolio limit; 131048 is the
      // one whose text says the number may not send more for now.
      return { counted: false, rejection: { code: '131048', detail: 'Spam rate limit hit: the business has reached its messaging limit for now' } };
    }
    if (inServiceWindow) return { counted: false };
    p.messages.add(String(++this.#messageSeq), now);
    if (negativeFeedback) this.#recordFeedback(p, now);
    const repeat = p.window.has(to, now);
    p.window.add(to, now);
    p.upgradeWindow.add(to, now);
    this.#considerUpgrade(p, now);
    return { counted: !repeat };
  }

  /** Operator overrides (control API): set the limit or quality outright, announced like Meta's own changes. */
  set(id: string, change: { limit?: SimLimit; quality?: SimQuality }): PortfolioView | undefined {
    const p = this.#portfolios.get(id);
    if (!p) return undefined;
    if (change.limit !== undefined && change.limit !== p.limit) this.#setLimit(p, change.limit);
    if (change.quality !== undefined && change.quality !== p.quality) this.#setQuality(p, change.quality);
    return this.view(id);
  }

  reset(): void {
    for (const p of this.#portfolios.values()) p.stopTimers();
    this.#portfolios.clear();
    this.#byNumber.clear();
    this.#inbound.clear();
  }

  #recordFeedback(p: Portfolio, now: number): void {
    p.feedback.add(String(this.#messageSeq), now);
    this.#evaluateQuality(p);
  }

  /** Quality follows the feedback rate in the window; as feedback ages out, it recovers. */
  #evaluateQuality(p: Portfolio): void {
    const now = this.#now();
    const { yellowAt, redAt, minSample } = this.rules.quality;
    const rate = p.feedback.size(now) / Math.max(p.messages.size(now), minSample);
    const quality: SimQuality = rate >= redAt ? 'RED' : rate >= yellowAt ? 'YELLOW' : 'GREEN';
    if (quality !== p.quality) this.#setQuality(p, quality);
    clearTimeout(p.qualityTimer);
    // Look again when feedback ages out (the rate falls) or clean messages do (it rises).
    if (p.feedback.size(now) === 0) return;
    const next = Math.min(p.feedback.oldestExpiry(now) ?? Infinity, p.messages.oldestExpiry(now) ?? Infinity);
    if (Number.isFinite(next)) p.qualityTimer = setTimeout(() => this.#evaluateQuality(p), Math.max(0, next - now) + 1).unref();
  }

  #considerUpgrade(p: Portfolio, now: number): void {
    if (p.upgradeAt !== null || p.limit === null || p.quality === 'RED') return;
    if (p.upgradeWindow.size(now) < Math.ceil(p.limit * this.rules.upgradeShare)) return;
    const delay = this.#random() * this.rules.upgradeDelayMaxMs;
    p.upgradeAt = now + delay;
    p.upgradeTimer = setTimeout(() => {
      p.upgradeAt = null;
      const next = this.#nextRung(p.limit);
      if (p.quality !== 'RED' && next !== undefined) this.#setLimit(p, next);
    }, delay).unref();
  }

  #nextRung(limit: SimLimit): SimLimit | undefined {
    if (limit === null) return undefined;
    return this.rules.rungs.find((rung) => rung === null || rung > limit);
  }

  #setLimit(p: Portfolio, limit: SimLimit): void {
    p.limit = limit;
    for (const wabaId of p.definition.wabaIds) {
      this.onChange({ wabaId, field: 'business_capability_update', value: { max_daily_conversations_per_business: tierName(limit), max_phone_numbers_per_business: 20 } });
    }
    // A new rung may already be half used.
    this.#considerUpgrade(p, this.#now());
  }

  #setQuality(p: Portfolio, quality: SimQuality): void {
    const previous = p.quality;
    p.quality = quality;
    // Legacy names for entering and leaving RED; BSP payloads carry the rating itself.
    const event = quality === 'RED' ? 'FLAGGED' : previous === 'RED' ? 'UNFLAGGED' : 'QUALITY_UPDATE';
    for (const number of p.definition.numbers) {
      this.onChange({
        wabaId: p.definition.wabaIds[0] ?? p.definition.id,
        field: 'phone_number_quality_update',
        value: { display_phone_number: number, event, quality_rating: quality, max_daily_conversations_per_business: tierName(p.limit) },
      });
    }
    if (quality !== 'RED') this.#considerUpgrade(p, this.#now());
  }
}

// The ladder and warm-up rules as tables: every rule has a case that passes
// and one that does not.
import { describe, expect, it } from 'vitest';
import {
  allocateQuota, decideSending, defaultLadder, defaultRamp, limitAtLeast, limitFromProvider, limitWindows, nextRung,
  pacedTarget, qualityFromProvider, upgradeOutlook, upgradeThreshold, type GovernorView,
} from '../../domain/messaging-limits.ts';
import { limitEventFromMetaChange } from '../../domain/meta-limit-events.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const view = (overrides: Partial<GovernorView> = {}): GovernorView => ({ status: 'WARMING', limit: 250, quality: 'GREEN', restricted: false, dayOnRung: 0, ...overrides });

describe('the ladder', () => {
  it.each([
    ['TIER_250', 250], ['TIER_1K', 1_000], ['tier_2k', 2_000], ['TIER_10K', 10_000], ['TIER_100K', 100_000], ['TIER_UNLIMITED', null],
    [2000, 2_000], [-1, null], ['100000', 100_000], ['TIER_NOT_SET', undefined], ['TIER_42X', undefined], [0, undefined], [1.5, undefined], [null, undefined],
  ])('reads the provider limit %j as %j', (value, limit) => expect(limitFromProvider(value)).toBe(limit));

  it.each([['GREEN', 'GREEN'], ['high', 'GREEN'], ['MEDIUM', 'YELLOW'], ['Low', 'RED'], ['NA', 'UNKNOWN'], ['PURPLE', undefined], [3, undefined]])(
    'reads the quality %j as %j', (value, quality) => expect(qualityFromProvider(value)).toBe(quality));

  it.each([[250, 2_000], [2_000, 10_000], [10_000, 100_000], [100_000, null], [1_000, 2_000], [null, undefined]])(
    'climbs from %j to %j', (limit, next) => expect(nextRung(defaultLadder, limit)).toBe(next));

  it('follows a configured ladder (the disputed 2026 one without 10K)', () => {
    const ladder = { ...defaultLadder, rungs: [250, 2_000, 100_000, null] };
    expect(nextRung(ladder, 2_000)).toBe(100_000);
    expect(upgradeThreshold(ladder, 2_000)).toBe(1_000);
  });

  it.each([[250, 125], [2_000, 1_000], [100_000, 50_000], [null, undefined]])('needs %j × 50 %% = %j recipients in 7 days to climb', (limit, threshold) =>
    expect(upgradeThreshold(defaultLadder, limit)).toBe(threshold));

  it.each([[null, 5, true], [5, null, false], [10, 5, true], [5, 10, false], [5, 5, true]])('%j ≥ %j is %j (null = unlimited)', (a, b, result) =>
    expect(limitAtLeast(a, b)).toBe(result));

  it('scales every window for demos, never below real time', () => {
    expect(limitWindows(defaultLadder)).toEqual({
      windowMs: DAY, serviceWindowMs: DAY, dayMs: DAY, upgradeWindowMs: 7 * DAY, upgradeDelayMs: 6 * HOUR,
      quotaWindowMs: DAY * 1.01, quotaServiceWindowMs: DAY * 0.99, // the ledger errs on the safe side of Meta's clock
    });
    expect(limitWindows(defaultLadder, 1440).windowMs).toBe(60_000);
    expect(() => limitWindows(defaultLadder, 0.5)).toThrow(RangeError);
  });
});

describe('pacing', () => {
  it.each([[250, 0, 50], [250, 1, 75], [250, 2, 113], [250, 4, 250], [250, 9, 250], [2_000, 0, 400], [1, 0, 1], [null, 3, null]])(
    'a %j limit on day %j of its rung allows %j', (limit, day, target) => expect(pacedTarget(defaultRamp, limit, day)).toBe(target));

  it('reaches the upgrade threshold on the second day of a rung', () => {
    const firstTwoDays = pacedTarget(defaultRamp, 2_000, 0)! + pacedTarget(defaultRamp, 2_000, 1)!;
    expect(firstTwoDays).toBeGreaterThanOrEqual(upgradeThreshold(defaultLadder, 2_000)!);
    expect(pacedTarget(defaultRamp, 2_000, 0)!).toBeLessThan(upgradeThreshold(defaultLadder, 2_000)!);
  });

  it.each([
    [view(), true, 50, null],
    [view({ status: 'WARM', limit: 10_000 }), true, 10_000, null],
    [view({ status: 'WARM', limit: null }), true, null, null],
    [view({ quality: 'YELLOW', dayOnRung: 2 }), true, 113, null],
    [view({ quality: 'RED' }), false, 0, 'quality is RED'],
    [view({ restricted: true }), false, 0, 'restricted'],
    [view({ status: 'PAUSED' }), false, 0, 'paused'],
    [view({ status: 'CANCELLED' }), false, 0, 'cancelled'],
  ])('decides %j → sending %j, allowance %j', (state, sending, allowance, reason) => {
    const decision = decideSending(state, defaultRamp);
    expect(decision).toMatchObject({ sendingAllowed: sending, allowance });
    if (reason) expect(decision.reason).toContain(reason);
    else expect(decision.reason).toBeNull();
    if (decision.allowance !== null && state.limit !== null) expect(decision.allowance).toBeLessThanOrEqual(state.limit);
  });
});

describe('the upgrade outlook', () => {
  const windows = limitWindows(defaultLadder);
  const now = Date.UTC(2026, 10, 24);

  it('is eligible at the threshold with good quality, expected within the upgrade delay of qualifying', () => {
    const outlook = upgradeOutlook(defaultLadder, defaultRamp, windows, view(), { upgradeWindow: 125 }, now, now - HOUR);
    expect(outlook).toEqual({ nextLimit: 2_000, threshold: 125, eligible: true, expectedAtMs: now + 5 * HOUR });
  });

  it('projects from the pacing when not yet eligible', () => {
    expect(upgradeOutlook(defaultLadder, defaultRamp, windows, view(), { upgradeWindow: 50 }, now, null))
      .toMatchObject({ eligible: false, expectedAtMs: now + DAY + 6 * HOUR }); // 50 + 75 = 125 after one more day
    expect(upgradeOutlook(defaultLadder, defaultRamp, windows, view(), { upgradeWindow: 0 }, now, null).expectedAtMs).toBe(now + 2 * DAY + 6 * HOUR);
  });

  it.each([[view({ quality: 'RED' })], [view({ restricted: true })]])('is not eligible, and expects nothing, while %j', (state) => {
    expect(upgradeOutlook(defaultLadder, defaultRamp, windows, state, { upgradeWindow: 500 }, now, now)).toMatchObject({ eligible: false, expectedAtMs: null });
  });

  it('projects nothing while paused, though Meta still upgrades on usage already made', () => {
    expect(upgradeOutlook(defaultLadder, defaultRamp, windows, view({ status: 'PAUSED' }), { upgradeWindow: 0 }, now, null).expectedAtMs).toBeNull();
    expect(upgradeOutlook(defaultLadder, defaultRamp, windows, view({ status: 'PAUSED' }), { upgradeWindow: 125 }, now, now).eligible).toBe(true);
  });

  it('has nothing to expect at the top', () => {
    expect(upgradeOutlook(defaultLadder, defaultRamp, windows, view({ limit: null }), { upgradeWindow: 0 }, now, null)).toEqual({ nextLimit: undefined, threshold: undefined, eligible: false, expectedAtMs: null });
  });
});

describe('allocating quota', () => {
  const allowed = { sendingAllowed: true, allowance: 3, reason: null };
  it('counts new recipients up to the allowance, in the order asked; counted and in-window ones are free', () => {
    expect(allocateQuota({ recipients: ['a', 'b', 'c', 'd', 'e', 'a'], counted: new Set(['b']), inServiceWindow: new Set(['c']), used: 1, decision: allowed }))
      .toEqual({ counted: ['a', 'b', 'd'], free: ['c'], deferred: ['e'] });
  });
  it('defers everyone when the allowance is used up or sending is held', () => {
    expect(allocateQuota({ recipients: ['a', 'b'], counted: new Set(), inServiceWindow: new Set(), used: 3, decision: allowed }).deferred).toEqual(['a', 'b']);
    expect(allocateQuota({ recipients: ['a', 'b', 'a'], counted: new Set(['a']), inServiceWindow: new Set(['b']), used: 0, decision: { sendingAllowed: false, allowance: 0, reason: 'RED' } }))
      .toEqual({ counted: [], free: [], deferred: ['a', 'b'] });
  });
  it('defers repeats too while a lowered allowance is exceeded by the window', () => {
    expect(allocateQuota({ recipients: ['a', 'b'], counted: new Set(['a']), inServiceWindow: new Set(), used: 4, decision: allowed }))
      .toEqual({ counted: [], free: [], deferred: ['a', 'b'] });
    expect(allocateQuota({ recipients: ['a', 'b'], counted: new Set(['a']), inServiceWindow: new Set(), used: 3, decision: allowed }))
      .toEqual({ counted: ['a'], free: [], deferred: ['b'] });
  });
  it('has no cap when unlimited', () => {
    expect(allocateQuota({ recipients: ['a', 'b'], counted: new Set(), inServiceWindow: new Set(), used: 1e9, decision: { sendingAllowed: true, allowance: null, reason: null } }).counted).toEqual(['a', 'b']);
  });
});

describe("Meta's limit events", () => {
  it.each([
    ['business_capability_update', { max_daily_conversations_per_business: 'TIER_2K', max_phone_numbers_per_business: 20 }, { limit: 2_000 }],
    ['business_capability_update', { max_daily_conversation_per_phone: -1 }, { limit: null }],
    ['phone_number_quality_update', { display_phone_number: '447911123456', event: 'UPGRADE', current_limit: 'TIER_10K' }, { limit: 10_000, displayPhoneNumber: '447911123456' }],
    ['phone_number_quality_update', { display_phone_number: '447911123456', event: 'FLAGGED', current_limit: 'TIER_NOT_SET' }, { quality: 'RED' }],
    ['phone_number_quality_update', { event: 'ONBOARDING', quality_rating: 'YELLOW' }, { quality: 'YELLOW' }],
    ['account_alerts', { alert_type: 'ACCOUNT_RESTRICTED', entity_type: 'PHONE_NUMBER' }, { restricted: true }],
    ['account_update', { event: 'ACCOUNT_RESTRICTION_LIFTED' }, { restricted: false }],
  ])('%s %j says %j', (field, value, expected) => {
    expect(limitEventFromMetaChange(field, value, '1234')).toMatchObject({ wabaId: '1234', ...expected });
  });

  it.each([
    ['account_alerts', { alert_type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED' }],
    ['phone_number_quality_update', { event: 'THROUGHPUT_UPGRADE' }],
    ['business_capability_update', { max_daily_conversations_per_business: 'TIER_SOMETHING_NEW' }],
    ['message_template_status_update', { event: 'APPROVED' }],
    ['business_capability_update', 'not an object'],
  ])('ignores %s %j (nothing the governor uses)', (field, value) => {
    expect(limitEventFromMetaChange(field, value, '1234')).toBeUndefined();
  });
});

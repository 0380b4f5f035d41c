// The simulator's Meta side on a fake clock: what a portfolio may send, what
// counts, quality from feedback, and the automatic upgrade. The engine's
// warm-up is tested against this, so it must be right on its own terms.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MetaPortfolios, scaledRules, type MetaChange } from '../../vonage/simulator/meta-portfolios.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const business = '447911123001';
const recipient = (i: number) => `4478${String(10_000_000 + i)}`;

let changes: MetaChange[];
let meta: MetaPortfolios;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-11-01T00:00:00Z') });
  changes = [];
  meta = new MetaPortfolios({ random: () => 0.5, onChange: (change) => changes.push(change) });
  meta.define({ id: 'p1', wabaIds: ['101', '102'], numbers: [business, '447911123002'] });
});

afterEach(() => {
  meta.reset();
  vi.useRealTimers();
});

const sendTo = (from: number, to: number, sender = business) => Array.from({ length: to - from }, (_, i) => meta.admit(sender, recipient(from + i)));

describe('simulated Meta portfolios', () => {
  it('counts unique recipients across the portfolio\'s numbers and refuses the first past the limit until the window frees it', () => {
    expect(sendTo(0, 100).every((a) => a.counted)).toBe(true);
    expect(sendTo(100, 240, '447911123002').every((a) => a.counted)).toBe(true); // the second number shares the limit
    expect(meta.admit(business, recipient(5))).toEqual({ counted: false }); // a repeat inside the window is free
    expect(sendTo(240, 250).every((a) => a.counted)).toBe(true);
    const refused = meta.admit(business, recipient(250));
    expect(refused).toMatchObject({ counted: false, rejection: { code: '131048' } });
    expect(meta.view('p1')).toMatchObject({ uniqueInWindow: 250, rejected: 1 });

    vi.advanceTimersByTime(DAY);
    expect(meta.admit(business, recipient(250))).toEqual({ counted: true });
    expect(meta.view('p1')!.uniqueInWindow).toBe(1);
    expect(meta.admit('447911123999', recipient(1))).toEqual({ counted: false }); // a number of no portfolio: not Meta-limited here
  });

  it('does not count a customer whose service window is open, and counts them once it has closed', () => {
    sendTo(0, 250);
    meta.inbound(business, recipient(999));
    expect(meta.admit(business, recipient(999))).toEqual({ counted: false });
    expect(meta.admit('447911123002', recipient(999))).toMatchObject({ rejection: { code: '131048' } }); // the window is per business number
    vi.advanceTimersByTime(DAY + 1);
    meta.admit(business, recipient(0));
    expect(meta.view('p1')!.uniqueInWindow).toBe(1);
    vi.advanceTimersByTime(1);
    expect(meta.admit(business, recipient(999))).toEqual({ counted: true });
  });

  it('raises the limit one rung within 6 hours of half of it being used in 7 days, announced per WABA', () => {
    sendTo(0, 100);
    vi.advanceTimersByTime(2 * DAY);
    sendTo(100, 124);
    expect(meta.view('p1')!.upgradeAt).toBeNull();
    sendTo(124, 125);
    const upgradeAt = Date.parse(meta.view('p1')!.upgradeAt!);
    expect(upgradeAt - Date.now()).toBeLessThanOrEqual(6 * HOUR);
    vi.advanceTimersByTime(6 * HOUR);
    expect(meta.view('p1')).toMatchObject({ limit: 2_000, upgradeAt: null });
    expect(changes.filter((c) => c.field === 'business_capability_update')).toEqual([
      { wabaId: '101', field: 'business_capability_update', value: expect.objectContaining({ max_daily_conversations_per_business: 'TIER_2K' }) },
      { wabaId: '102', field: 'business_capability_update', value: expect.objectContaining({ max_daily_conversations_per_business: 'TIER_2K' }) },
    ]);
  });

  it('lets quality fall when recipients block and recover as the feedback ages; no upgrade while RED', () => {
    sendTo(0, 47);
    for (let i = 0; i < 3; i++) meta.admit(business, `4477${String(10_000_000 + i)}`, 'block');
    expect(meta.view('p1')!.quality).toBe('RED'); // 3 of 50 = 6 %
    const flagged = changes.filter((c) => c.value.event === 'FLAGGED');
    expect(flagged).toHaveLength(2); // one per number (after a YELLOW on the way down)
    expect(flagged[0]!.value).toMatchObject({ event: 'FLAGGED', quality_rating: 'RED', display_phone_number: business });

    sendTo(50, 200); // half the limit used, but RED: no upgrade is scheduled
    expect(meta.view('p1')!.upgradeAt).toBeNull();
    vi.advanceTimersByTime(DAY + 10);
    expect(meta.view('p1')!.quality).toBe('GREEN');
    expect(changes.filter((c) => c.field === 'phone_number_quality_update').at(-1)!.value).toMatchObject({ event: 'UNFLAGGED', quality_rating: 'GREEN' });
    // Recovered with 200 recipients in the 7-day window: now the upgrade comes.
    expect(meta.view('p1')!.upgradeAt).not.toBeNull();
    vi.advanceTimersByTime(6 * HOUR);
    expect(meta.view('p1')!.limit).toBe(2_000);
  });

  it('a smaller share of feedback gives YELLOW; operator overrides are announced like Meta\'s own', () => {
    sendTo(0, 98);
    meta.admit(business, recipient(500), 'report');
    expect(meta.view('p1')!.quality).toBe('GREEN'); // 1 of 99: not yet
    meta.admit(business, recipient(501), 'report');
    expect(meta.view('p1')!.quality).toBe('YELLOW'); // 2 of 100 = 2 %
    changes.length = 0;
    expect(meta.set('p1', { limit: 10_000, quality: 'GREEN' })).toMatchObject({ limit: 10_000, quality: 'GREEN' });
    expect(changes.map((c) => [c.wabaId, c.field, c.value.max_daily_conversations_per_business])).toEqual([
      ['101', 'business_capability_update', 'TIER_10K'],
      ['102', 'business_capability_update', 'TIER_10K'],
      ['101', 'phone_number_quality_update', 'TIER_10K'],
      ['101', 'phone_number_quality_update', 'TIER_10K'],
    ]);
    expect(meta.set('nobody', { limit: 2_000 })).toBeUndefined();
  });

  it('a number joining a portfolio shares its limit and counts; redefining drops numbers it no longer lists', () => {
    meta.set('p1', { limit: 2_000 });
    sendTo(0, 100);
    meta.attach({ id: 'p1', wabaIds: ['101'], numbers: ['447911123003'] }, '447911123003');
    expect(meta.view('p1')).toMatchObject({ limit: 2_000, uniqueInWindow: 100, numbers: [business, '447911123002', '447911123003'] });
    expect(meta.admit('447911123003', recipient(0))).toEqual({ counted: false }); // already counted by the portfolio
    meta.define({ id: 'p1', wabaIds: ['101'], numbers: [business] });
    expect(meta.has('447911123002')).toBe(false);
  });

  it('scales every window by TIME_SCALE', () => {
    const rules = scaledRules(1_440);
    expect(rules).toMatchObject({ limitWindowMs: 60_000, serviceWindowMs: 60_000, upgradeWindowMs: 7 * 60_000, upgradeDelayMaxMs: 15_000 });
    expect(rules.quality.windowMs).toBe(60_000);
  });
});

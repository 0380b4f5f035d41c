// The quota ledger: concurrent consumers over simulated days never exceed the
// allowance in any rolling window, checked against the ledger's own rows (not
// the code's counters); repeats and open service windows do not count.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuotaLedger, type QuotaPolicy } from '../../db/quota.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let database: TestDatabase;
let ledger: QuotaLedger;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = new QuotaLedger(database.db);
});
afterAll(async () => database?.cleanup());

const policy = (allowance: number | null, overrides: Partial<QuotaPolicy> = {}): QuotaPolicy => ({
  messagingLimit: allowance === null ? null : Math.max(allowance, 250), allowance, sendingAllowed: true, reason: null, windowMs: DAY, serviceWindowMs: DAY, ...overrides,
});
const numbers = (count: number, offset = 0) => Array.from({ length: count }, (_, i) => `+4478${String(offset + i).padStart(8, '0')}`);

/** The largest number of distinct recipients in any window (t - w, t] ending at a recorded send. */
async function worstWindows(portfolioId: string): Promise<{ at: number; distinct: number }[]> {
  const rows = await database.db.selectFrom('quota_ledger').select(['recipient', 'counted_at']).where('portfolio_id', '=', portfolioId).orderBy('counted_at').execute();
  return [...new Set(rows.map((r) => r.counted_at.getTime()))].map((end) => ({
    at: end,
    distinct: new Set(rows.filter((r) => r.counted_at.getTime() > end - DAY && r.counted_at.getTime() <= end).map((r) => r.recipient)).size,
  }));
}

describe('quota ledger', () => {
  it('never exceeds the allowance in any rolling 24 h, whatever concurrent consumers ask over simulated days', async () => {
    const step = fc.record({
      advanceMinutes: fc.integer({ min: 1, max: 12 * 60 }),
      allowance: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined, freq: 4 }),
      requests: fc.array(fc.array(fc.integer({ min: 0, max: 119 }), { minLength: 1, maxLength: 15 }), { minLength: 1, maxLength: 6 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
      const portfolioId = `prop-${randomUUID()}`;
      const pool = numbers(120);
      let now = Date.UTC(2026, 0, 1);
      let allowance = 20;
      const allowanceAt: { from: number; allowance: number }[] = [];
      await ledger.setPolicy(portfolioId, policy(allowance), new Date(now));
      allowanceAt.push({ from: now, allowance });
      for (const { advanceMinutes, allowance: next, requests } of steps) {
        now += advanceMinutes * 60_000;
        if (next !== undefined) {
          allowance = next;
          await ledger.setPolicy(portfolioId, policy(allowance), new Date(now));
          allowanceAt.push({ from: now, allowance });
        }
        // Consumers ask at once; the ledger answers them one after another.
        const grants = await Promise.all(requests.map((picks, i) =>
          ledger.reserve({ portfolioId, senderId: null, consumer: `campaign/${i}`, recipients: picks.map((p) => pool[p]!), at: new Date(now) })));
        for (const grant of grants) if (grant.deferred.length > 0) expect(grant.retryAt!.getTime()).toBeGreaterThan(now);
      }
      // Every window is within the allowance in effect at its latest send (each send is checked against the window ending
      // at it, and an earlier window's recipients are a subset of a later one's ending at its latest send).
      const inEffectAt = (t: number) => allowanceAt.filter((a) => a.from <= t).at(-1)!.allowance;
      for (const { at, distinct } of await worstWindows(portfolioId)) {
        expect(distinct, `window ending ${new Date(at).toISOString()}`).toBeLessThanOrEqual(inEffectAt(at));
      }
    }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 8), interruptAfterTimeLimit: 60_000 });
  });

  it('counts a recipient once per window, frees open service windows, and says when to come back', async () => {
    const portfolioId = `p-${randomUUID()}`;
    const start = Date.UTC(2026, 0, 1);
    await ledger.setPolicy(portfolioId, policy(3), new Date(start));
    const [a, b, c, d] = numbers(4, 500);
    const ask = (recipients: string[], hours: number) => ledger.reserve({ portfolioId, senderId: null, consumer: 'test', recipients, at: new Date(start + hours * HOUR) });

    expect(await ask([a!, b!], 1)).toMatchObject({ counted: [a, b], deferred: [] });
    expect(await ask([a!, c!, d!], 2)).toMatchObject({ counted: [a, c], deferred: [d], retryAt: new Date(start + 25 * HOUR) });
    expect(await ledger.usage(portfolioId, { windowMs: DAY, upgradeWindowMs: 7 * DAY }, new Date(start + 2 * HOUR))).toEqual({ window: 3, upgradeWindow: 3 });
    // b's only send leaves the window at 25 h; a was sent again at 2 h, so it stays until 26 h.
    expect(await ask([d!], 25.5)).toMatchObject({ counted: [d] });
    expect(await ledger.usage(portfolioId, { windowMs: DAY, upgradeWindowMs: 7 * DAY }, new Date(start + 25.5 * HOUR))).toEqual({ window: 3, upgradeWindow: 4 });
  });

  it('holds every recipient while sending is held, and without a governor', async () => {
    const portfolioId = `p-${randomUUID()}`;
    expect(await ledger.reserve({ portfolioId, senderId: null, consumer: 'test', recipients: numbers(2, 600) }))
      .toMatchObject({ counted: [], deferred: numbers(2, 600), retryAt: null, reason: expect.stringContaining('no warm-up') });
    await ledger.setPolicy(portfolioId, policy(0, { sendingAllowed: false, reason: 'quality is RED', allowance: 0 }));
    expect(await ledger.reserve({ portfolioId, senderId: null, consumer: 'test', recipients: numbers(2, 600) }))
      .toMatchObject({ counted: [], deferred: numbers(2, 600), retryAt: null, reason: 'quality is RED' });
  });

  it('does not count a recipient whose service window with the sending number is open', async () => {
    const portfolioId = `p-${randomUUID()}`;
    await ledger.setPolicy(portfolioId, policy(1));
    const [open, closed, other] = numbers(3, 700);
    const senderId = randomUUID();
    for (const [number, hoursAgo] of [[open!, 2], [closed!, 30]] as const) {
      const contactId = randomUUID();
      await database.db.insertInto('contacts').values({ contact_id: contactId, whatsapp_number: number, created_at: new Date(), updated_at: new Date() }).execute();
      await database.db.insertInto('service_windows').values({ sender_id: senderId, contact_id: contactId, last_inbound_at: new Date(Date.now() - hoursAgo * HOUR) }).execute();
    }
    expect(await ledger.reserve({ portfolioId, senderId, consumer: 'test', recipients: [open!, closed!, other!] }))
      .toMatchObject({ free: [open], counted: [closed], deferred: [other] });
  });

  it('refuses an allowance above the limit at the database', async () => {
    await expect(ledger.setPolicy(`p-${randomUUID()}`, policy(300, { messagingLimit: 250 }))).rejects.toThrow(/portfolio_quotas_within_limit/);
  });
});

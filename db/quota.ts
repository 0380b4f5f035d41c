// The portfolio's send quota as a transactional ledger. The governor workflow
// sets each portfolio's policy (limit, allowance, whether sending is held);
// every send outside a customer-service window is recorded here by recipient
// and time; a reservation locks the portfolio's policy row, so any number of
// concurrent consumers are answered one after another and the distinct
// recipients in any trailing window never exceed the allowance. Why that
// holds for every window, not just the one ending now: the recipients of any
// window are a subset of those of the window ending at its latest grant,
// which was checked when that grant was made.
import { sql } from 'kysely';
import { allocateQuota, type SendDecision } from '../domain/messaging-limits.ts';
import type { Db } from './database.ts';

export interface QuotaPolicy extends SendDecision {
  messagingLimit: number | null;
  windowMs: number;
  serviceWindowMs: number;
}

export interface PortfolioStanding {
  portfolioId: string;
  /** null: unlimited. */
  messagingLimit: number | null;
  allowance: number | null;
  sendingAllowed: boolean;
  quality: string;
  /** Distinct recipients counted in the portfolio's rolling window, at the governor's last tick. */
  used: number;
}

export interface QuotaRequest {
  portfolioId: string;
  /** The number sending: an open service window with it makes a recipient free. */
  senderId: string | null;
  /** Who asks, for the ledger (e.g. campaign/<id>). */
  consumer: string;
  /** E.164 numbers, in the caller's priority order. */
  recipients: string[];
  /** Defaults to now; tests drive simulated time through it. */
  at?: Date;
}

export interface QuotaGrant {
  /** Send now; counted against the limit (already recorded). */
  counted: string[];
  /** Send now; inside an open service window, not counted. */
  free: string[];
  /** Not now. */
  deferred: string[];
  /** When asking again can succeed: the next moment a counted recipient leaves the window; null while sending is held. */
  retryAt: Date | null;
  /** Why recipients were deferred, when they were. */
  reason: string | null;
}

export class QuotaLedger {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async setPolicy(portfolioId: string, policy: QuotaPolicy, at = new Date()): Promise<void> {
    const row = {
      messaging_limit: policy.messagingLimit,
      allowance: policy.allowance,
      sending_allowed: policy.sendingAllowed,
      reason: policy.reason,
      window_ms: Math.round(policy.windowMs),
      service_window_ms: Math.round(policy.serviceWindowMs),
      updated_at: at,
    };
    await this.#db.insertInto('portfolio_quotas').values({ portfolio_id: portfolioId, ...row })
      // A retried, older write landing late never overwrites a newer decision.
      .onConflict((oc) => oc.column('portfolio_id').doUpdateSet(row).where('portfolio_quotas.updated_at', '<=', at)).execute();
  }

  async policy(portfolioId: string): Promise<QuotaPolicy | undefined> {
    const row = await this.#db.selectFrom('portfolio_quotas').selectAll().where('portfolio_id', '=', portfolioId).executeTakeFirst();
    return row && {
      messagingLimit: row.messaging_limit, allowance: row.allowance, sendingAllowed: row.sending_allowed, reason: row.reason,
      windowMs: row.window_ms, serviceWindowMs: row.service_window_ms,
    };
  }

  async reserve(request: QuotaRequest): Promise<QuotaGrant> {
    const recipients = [...new Set(request.recipients)];
    if (recipients.length === 0) return { counted: [], free: [], deferred: [], retryAt: null, reason: null };
    return this.#db.transaction().execute(async (trx) => {
      // One reservation at a time per portfolio: the lock is what makes the check-then-record safe.
      const policy = await trx.selectFrom('portfolio_quotas').selectAll().where('portfolio_id', '=', request.portfolioId).forUpdate().executeTakeFirst();
      if (!policy) return { counted: [], free: [], deferred: recipients, retryAt: null, reason: `no warm-up governs portfolio ${request.portfolioId}: start one (POST /v1/warmups)` };
      // The time is read after the lock, from the database: a reservation that waited must count what the one before it recorded.
      const at = request.at ?? (await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx)).rows[0]!.now;
      const windowStart = new Date(at.getTime() - policy.window_ms);
      const inWindow = trx.selectFrom('quota_ledger').where('portfolio_id', '=', request.portfolioId).where('counted_at', '>', windowStart).where('counted_at', '<=', at);
      const { used } = await inWindow.select(sql<number>`count(distinct recipient)::int`.as('used')).executeTakeFirstOrThrow();
      const counted = await inWindow.select('recipient').distinct().where('recipient', 'in', recipients).execute();
      const open = request.senderId
        ? await trx.selectFrom('service_windows').innerJoin('contacts', 'contacts.contact_id', 'service_windows.contact_id')
          .select('contacts.whatsapp_number').where('service_windows.sender_id', '=', request.senderId)
          .where('service_windows.last_inbound_at', '>', new Date(at.getTime() - policy.service_window_ms))
          .where('contacts.whatsapp_number', 'in', recipients).execute()
        : [];
      const decision: SendDecision = { sendingAllowed: policy.sending_allowed, allowance: policy.allowance, reason: policy.reason };
      const answer = allocateQuota({
        recipients,
        counted: new Set(counted.map((row) => row.recipient)),
        inServiceWindow: new Set(open.map((row) => row.whatsapp_number!)),
        used,
        decision,
      });
      if (answer.counted.length > 0) {
        // Every counted send is recorded, a repeat too: it keeps the recipient in later windows.
        await trx.insertInto('quota_ledger')
          .values(answer.counted.map((recipient) => ({ portfolio_id: request.portfolioId, recipient, sender_id: request.senderId, consumer: request.consumer, counted_at: at })))
          .execute();
      }
      if (answer.deferred.length === 0) return { ...answer, retryAt: null, reason: null };
      if (!policy.sending_allowed) return { ...answer, retryAt: null, reason: policy.reason ?? 'sending is held' };
      // The distinct count drops when the recipient whose latest send is oldest leaves the window.
      const { oldest } = await trx.selectFrom(
        inWindow.select((eb) => eb.fn.max('counted_at').as('latest')).groupBy('recipient').as('latest_per_recipient'),
      ).select((eb) => eb.fn.min('latest').as('oldest')).executeTakeFirstOrThrow();
      return {
        ...answer,
        retryAt: oldest ? new Date(new Date(oldest).getTime() + policy.window_ms) : null,
        reason: `the allowance of ${policy.allowance} unique recipients per ${Math.round(policy.window_ms / 60_000)} min is used up`,
      };
    });
  }

  /** Distinct recipients counted in the trailing windows ending at `at`. */
  async usage(portfolioId: string, windows: { windowMs: number; upgradeWindowMs: number }, at = new Date()): Promise<{ window: number; upgradeWindow: number }> {
    const count = async (ms: number) => (await this.#db.selectFrom('quota_ledger')
      .select(sql<number>`count(distinct recipient)::int`.as('n'))
      .where('portfolio_id', '=', portfolioId).where('counted_at', '>', new Date(at.getTime() - ms)).where('counted_at', '<=', at)
      .executeTakeFirstOrThrow()).n;
    return { window: await count(windows.windowMs), upgradeWindow: await count(windows.upgradeWindowMs) };
  }

  /** Records what the governor knows at its tick: the quality and the usage it measured (the policy row must exist). */
  async recordStanding(portfolioId: string, standing: { quality: string | undefined; used: number }, at = new Date()): Promise<void> {
    await this.#db.updateTable('portfolio_quotas')
      .set({ used_in_window: standing.used, used_measured_at: at, ...(standing.quality ? { quality: standing.quality } : {}) })
      .where('portfolio_id', '=', portfolioId).execute();
  }

  /** Every governed portfolio as its governor last recorded it: limit, allowance, quality and distinct recipients in its window. */
  async standings(): Promise<PortfolioStanding[]> {
    const rows = await this.#db.selectFrom('portfolio_quotas')
      .select(['portfolio_id', 'messaging_limit', 'allowance', 'sending_allowed', 'quality', 'used_in_window'])
      .orderBy('portfolio_id').execute();
    return rows.map((row) => ({
      portfolioId: row.portfolio_id, messagingLimit: row.messaging_limit, allowance: row.allowance,
      sendingAllowed: row.sending_allowed, quality: row.quality ?? 'UNKNOWN', used: row.used_in_window ?? 0,
    }));
  }

  /** Forgets sends older than every window the rules count over. */
  async prune(portfolioId: string, before: Date): Promise<number> {
    const result = await this.#db.deleteFrom('quota_ledger').where('portfolio_id', '=', portfolioId).where('counted_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

// Each WhatsApp number's messages per second, shared by every campaign and
// every worker process: a token bucket per sender in the database, refilled at
// the number's rate, holding at most one second of sends.
import { sql } from 'kysely';
import type { Db } from './database.ts';

export class ThroughputGate {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Takes up to `wanted` send slots now; says how many it got and, if not all, how long until the rest may be there. */
  async take(senderId: string, ratePerSecond: number, wanted: number): Promise<{ granted: number; waitMs: number }> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`insert into sender_throughput (sender_id, tokens, refreshed_at) values (${senderId}::uuid, ${ratePerSecond}, clock_timestamp()) on conflict do nothing`.execute(trx);
      const { rows } = await sql<{ tokens: number; elapsed: number }>`
        select tokens, extract(epoch from clock_timestamp() - refreshed_at) * 1000 as elapsed
        from sender_throughput where sender_id = ${senderId}::uuid for update`.execute(trx);
      const row = rows[0]!;
      const available = Math.min(ratePerSecond, Number(row.tokens) + (Number(row.elapsed) / 1000) * ratePerSecond);
      const granted = Math.max(0, Math.min(wanted, Math.floor(available)));
      await sql`update sender_throughput set tokens = ${available - granted}, refreshed_at = clock_timestamp() where sender_id = ${senderId}::uuid`.execute(trx);
      const missing = wanted - granted;
      const waitMs = missing > 0 ? Math.ceil(((Math.min(missing, ratePerSecond) - (available - granted)) / ratePerSecond) * 1000) : 0;
      return { granted, waitMs: Math.max(waitMs, 1) };
    });
  }
}

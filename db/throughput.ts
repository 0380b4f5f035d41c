// Each WhatsApp number's messages per second, shared by every campaign and
// every worker process: a token bucket per sender in the database. Meta counts
// per second, so no one-second window may carry more than the number's rate.
// A bucket holding c slots and refilled at r per second lets through at most
// c + r − 1 sends in any second; it holds a twentieth of a second of sends (so
// a take serves many lanes at once) and refills at rate − c + 1.
import { sql } from 'kysely';
import type { Db } from './database.ts';

/** The bucket that keeps every one-second window at or under `ratePerSecond`. */
export function bucketFor(ratePerSecond: number): { capacity: number; refillPerSecond: number } {
  const capacity = Math.max(1, Math.floor(ratePerSecond / 20));
  return { capacity, refillPerSecond: ratePerSecond - capacity + 1 };
}

export class ThroughputGate {
  readonly #db: Db;
  /** Senders whose bucket row this process has already made sure of. */
  readonly #known = new Set<string>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Takes up to `wanted` send slots now; says how many it got and, if not all, how long until the rest may be there. */
  async take(senderId: string, ratePerSecond: number, wanted: number): Promise<{ granted: number; waitMs: number }> {
    const { capacity, refillPerSecond } = bucketFor(ratePerSecond);
    if (!this.#known.has(senderId)) {
      await sql`insert into sender_throughput (sender_id, tokens, refreshed_at) values (${senderId}::uuid, ${capacity}, clock_timestamp()) on conflict do nothing`.execute(this.#db);
      this.#known.add(senderId);
    }
    return this.#db.transaction().execute(async (trx) => {
      // Lock first, then read the clock: a taker that waited for the lock is counted from when it got it.
      // The bucket is stamped with that same reading (to the millisecond its column keeps), so nothing that
      // refilled between the read and the write is lost or counted twice.
      const locked = await sql<{ tokens: number; refreshed_at: string }>`
        select tokens, refreshed_at::text as refreshed_at from sender_throughput where sender_id = ${senderId}::uuid for update`.execute(trx);
      const bucket = locked.rows[0];
      if (!bucket) {
        this.#known.delete(senderId); // the sender was deleted and made again: the row comes back on the next take
        return { granted: 0, waitMs: 1 };
      }
      const { rows } = await sql<{ now: string; elapsed: number }>`
        select now::text as now, extract(epoch from now - ${bucket.refreshed_at}::timestamptz) * 1000 as elapsed
        from (select date_trunc('milliseconds', clock_timestamp()) as now) clock`.execute(trx);
      const row = { tokens: bucket.tokens, elapsed: rows[0]!.elapsed, locked_at: rows[0]!.now };
      const available = Math.min(capacity, Number(row.tokens) + (Number(row.elapsed) / 1000) * refillPerSecond);
      const granted = Math.max(0, Math.min(wanted, Math.floor(available)));
      await sql`update sender_throughput set tokens = ${available - granted}, refreshed_at = ${row.locked_at}::timestamptz where sender_id = ${senderId}::uuid`.execute(trx);
      const missing = wanted - granted;
      const waitMs = missing > 0 ? Math.ceil(((Math.min(missing, capacity) - (available - granted)) / refillPerSecond) * 1000) : 0;
      return { granted, waitMs: Math.max(waitMs, 1) };
    });
  }
}

// `npm run chaos` at a small scale: a campaign sent while the worker process is
// SIGKILLed and restarted five times and the Temporal dev server once, with
// the simulator failing 2 % of requests (5xx), throttling 1 % (429) and
// dropping 0.5 % of its answers after accepting. The simulator's ledger says
// who got what: every consented recipient exactly one message, nobody else any.
// Worker processes share the database, so this needs the Postgres server.
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos.ts';

const postgresUrl = process.env.DATABASE_URL;

describe.skipIf(!postgresUrl)('campaign chaos (runs on the Postgres pass: worker processes share a database server)', () => {
  it('exactly one message per consented recipient, none to anyone else, through worker and server kills', { timeout: 300_000 }, async () => {
    const result = await runChaos({
      consented: 1_500, unconsented: 150, workerKills: 5, temporalKills: 1, timeoutMs: 240_000, seed: 11, postgresUrl: postgresUrl!,
      // 25 s of sending at least, so the kills land while messages are going out.
      ratePerSecond: 60,
    });
    expect(result).toMatchObject({ status: 'COMPLETED', consented: 1_500, receivedExactlyOnce: 1_500, duplicates: 0, lost: 0, strays: 0 });
    expect(result.workerKills).toBeGreaterThanOrEqual(4);
    expect(result.temporalKills).toBe(1);
  });
});

// A portfolio's warm-up governor as the API returns it (GET /v1/warmups/{id}),
// and how the command line shows it.
import { count, fields, relative } from './output.ts';

type Limit = number | 'UNLIMITED';

export interface Warmup {
  portfolioId: string;
  workflowId: string;
  status: string;
  limit: Limit;
  targetLimit: Limit;
  quality: string;
  restricted: boolean;
  sendingAllowed: boolean;
  allowance: Limit;
  heldBecause: string | null;
  usage: { rollingWindow: number; upgradeWindow: number; measuredAt: string };
  dayOnRung: number;
  rungSince: string;
  nextRung: { limit: Limit | null; threshold: number | null; eligible: boolean; expectedAt: string | null };
  senderNumbers: string[];
  history: { day: string; limit: Limit; quality: string; allowance: Limit; sendingAllowed: boolean; used: number }[];
  startedAt: string;
}

const limit = (value: Limit) => (value === 'UNLIMITED' ? 'unlimited' : count(value));

function nextRung(warmup: Warmup): string {
  const next = warmup.nextRung;
  if (next.limit === null) return warmup.status === 'WARM' ? 'none: warm at the target' : 'none: the top of the ladder';
  const threshold = next.threshold !== null ? ` once ${count(next.threshold)} unique recipients are reached within 7 days` : '';
  const when = next.eligible ? 'eligible: Meta upgrades it' : 'not yet eligible';
  return `${limit(next.limit)}${threshold} (${when}${next.expectedAt ? `, expected ${relative(next.expectedAt)}` : ''})`;
}

export function warmupSummary(warmup: Warmup, now = Date.now()): string {
  const sending = warmup.sendingAllowed ? 'allowed' : `held${warmup.heldBecause ? `: ${warmup.heldBecause}` : ''}`;
  return [
    `Warm-up of portfolio ${warmup.portfolioId} (${warmup.workflowId}): ${warmup.status}`,
    fields([
      ['rung', `${limit(warmup.limit)} unique recipients per 24 h since ${warmup.rungSince}, ramp day ${warmup.dayOnRung + 1}; target ${limit(warmup.targetLimit)}`],
      ['quality', `${warmup.quality}${warmup.restricted ? ' · RESTRICTED' : ''}`],
      ['today', `allowance ${limit(warmup.allowance)}, used ${count(warmup.usage.rollingWindow)} in the rolling 24 h (${count(warmup.usage.upgradeWindow)} in 7 days; measured ${relative(warmup.usage.measuredAt, now)})`],
      ['sending', sending],
      ...(warmup.status === 'CANCELLED' ? [] : [['next rung', nextRung(warmup)] as [string, string]]),
      ['numbers', warmup.senderNumbers.length > 0 ? warmup.senderNumbers.join(', ') : 'none registered in this portfolio yet'],
      ['started', `${warmup.startedAt} (${relative(warmup.startedAt, now)})`],
    ]),
  ].join('\n');
}

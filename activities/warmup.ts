// Activities of the warm-up governor and of every sender that consumes its
// quota. The governor writes its decision into the quota ledger and reads the
// portfolio's usage back in one call; campaigns reserve quota with another.
import type { QuotaGrant, QuotaLedger, QuotaPolicy, QuotaRequest } from '../db/quota.ts';

export interface SyncPortfolioQuotaInput {
  portfolioId: string;
  /** The governor's decision when it changed since the last call of this run; null = unchanged. */
  policy: QuotaPolicy | null;
  windowMs: number;
  upgradeWindowMs: number;
}

/** The ledger forgets sends older than this many upgrade windows. */
const KEEP_UPGRADE_WINDOWS = 2;

export function createWarmupActivities({ quota }: { quota: QuotaLedger }) {
  return {
    /** Writes the governor's policy (idempotent: the latest decision wins) and returns the portfolio's usage. */
    async syncPortfolioQuota(input: SyncPortfolioQuotaInput): Promise<{ window: number; upgradeWindow: number }> {
      const now = new Date();
      if (input.policy) await quota.setPolicy(input.portfolioId, input.policy, now);
      await quota.prune(input.portfolioId, new Date(now.getTime() - KEEP_UPGRADE_WINDOWS * input.upgradeWindowMs));
      return quota.usage(input.portfolioId, input, now);
    },

    /**
     * "May I send to these recipients now? Which, and if not, when?" The one
     * call every business-initiated send of a portfolio goes through: counted
     * recipients are recorded before the answer returns, so a retry of this
     * activity asks again without double counting (repeats are free).
     */
    async reserveSendQuota(request: Omit<QuotaRequest, 'at'>): Promise<Omit<QuotaGrant, 'retryAt'> & { retryAt: string | null }> {
      const grant = await quota.reserve(request);
      return { ...grant, retryAt: grant.retryAt?.toISOString() ?? null };
    },
  };
}

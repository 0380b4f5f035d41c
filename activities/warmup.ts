// Activities of the warm-up governor and of every sender that consumes its
// quota. The governor writes its decision into the quota ledger and reads the
// portfolio's usage back in one call; campaigns reserve quota with another.
import { ApplicationFailure } from '@temporalio/activity';
import type { QuotaGrant, QuotaLedger, QuotaPolicy, QuotaRequest } from '../db/quota.ts';
import type { SendersRepository } from '../db/senders.ts';
import { portfolioStandingFromGraph } from '../domain/meta-limit-events.ts';
import { MetaGraph, MetaGraphError } from '../vonage/meta-graph.ts';
import type { PortfolioObservation } from '../workflows/warmup-messages.ts';

export interface SyncPortfolioQuotaInput {
  portfolioId: string;
  /** The governor's decision when it changed since the last call of this run; null = unchanged. */
  policy: QuotaPolicy | null;
  windowMs: number;
  upgradeWindowMs: number;
  /** The quality the governor knows now (absent in runs started before it was passed). */
  quality?: string;
}

/** The ledger forgets sends older than this many upgrade windows. */
const KEEP_UPGRADE_WINDOWS = 2;

export interface WarmupActivityDependencies {
  quota: QuotaLedger;
  senders: SendersRepository;
  /** Meta's Graph API, polled for limit and quality; unset = webhooks only. */
  metaGraph?: { baseUrl: string; accessToken: string } | undefined;
}

export function createWarmupActivities({ quota, senders, metaGraph }: WarmupActivityDependencies) {
  const graph = metaGraph ? new MetaGraph(metaGraph) : undefined;
  return {
    /**
     * The portfolio's limit, quality and status as Meta's Graph API reports
     * them now, as the same observation a webhook produces; null when polling
     * is not configured or no number of the portfolio has a WABA id.
     */
    async pollPortfolioStanding({ portfolioId }: { portfolioId: string }): Promise<PortfolioObservation | null> {
      if (!graph) return null;
      const wabaIds = await senders.portfolioWabaIds(portfolioId);
      if (wabaIds.length === 0) return null;
      // Stamped with when we asked: what Meta answered is at least that fresh, never fresher,
      // so a webhook that arrived meanwhile keeps precedence over an answer read before it.
      const askedAtMs = Date.now();
      try {
        const numbers = (await Promise.all(wabaIds.map((wabaId) => graph.phoneNumbers(wabaId)))).flat();
        const standing = portfolioStandingFromGraph(numbers);
        return { ...standing, observedAtMs: askedAtMs, source: 'poll', event: 'graph:phone_numbers' };
      } catch (error) {
        if (error instanceof MetaGraphError && error.permanent) throw ApplicationFailure.nonRetryable(error.message, 'MetaGraphRefused');
        throw error;
      }
    },

    /** Writes the governor's policy (idempotent: the latest decision wins) and returns the portfolio's usage. */
    async syncPortfolioQuota(input: SyncPortfolioQuotaInput): Promise<{ window: number; upgradeWindow: number }> {
      const now = new Date();
      if (input.policy) await quota.setPolicy(input.portfolioId, input.policy, now);
      await quota.prune(input.portfolioId, new Date(now.getTime() - KEEP_UPGRADE_WINDOWS * input.upgradeWindowMs));
      const usage = await quota.usage(input.portfolioId, input, now);
      await quota.recordStanding(input.portfolioId, { quality: input.quality, used: usage.window }, now);
      return usage;
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

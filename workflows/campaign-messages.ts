// Messages of the campaign workflow, defined once and imported by the
// workflow, the API and tests.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CampaignCounts, CampaignStatus } from '../domain/campaign.ts';

/**
 * Where the run stands: its messages as the database counted them (delivery
 * and reasons included) at `countedAt`, with what its batches did since added
 * on. The API's GET /v1/campaigns/{id} counts the database live.
 */
export interface CampaignProgress extends Omit<CampaignCounts, 'audience'> {
  campaignId: string;
  status: CampaignStatus;
  reason: string | null;
  /** Recipients in the run's snapshot; null until it is taken. */
  audience: number | null;
  /** Recipients the portfolio's quota held back in the last batch. */
  deferred: number;
  batches: number;
  countedAt: string | null;
}

export type CampaignControl = 'pause' | 'resume' | 'cancel';

export const campaignProgress = defineQuery<CampaignProgress>('progress');
/** Pause, resume or cancel; refused (validator) when it makes no sense now. Returns the new status. */
export const controlCampaign = defineUpdate<CampaignStatus, [CampaignControl]>('controlCampaign');

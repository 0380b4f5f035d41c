// Messages of the campaign workflow, defined once and imported by the
// workflow, the API and tests.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CampaignStatus } from '../domain/campaign.ts';

/** What the run has done so far, by its own count (the API adds delivery from the database). */
export interface CampaignProgress {
  campaignId: string;
  status: CampaignStatus;
  reason: string | null;
  audience: number | null;
  sent: number;
  failed: number;
  skipped: number;
  ambiguous: number;
  deferred: number;
  batches: number;
}

export type CampaignControl = 'pause' | 'resume' | 'cancel';

export const campaignProgress = defineQuery<CampaignProgress>('progress');
/** Pause, resume or cancel; refused (validator) when it makes no sense now. Returns the new status. */
export const controlCampaign = defineUpdate<CampaignStatus, [CampaignControl]>('controlCampaign');

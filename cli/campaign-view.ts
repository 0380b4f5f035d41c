// A campaign as the API returns it, and how the command line shows it.
import type { Audience, CampaignCounts as CampaignProgress, CampaignStatus, QuietHours, Schedule } from '../domain/campaign.ts';
import { count, fields } from './output.ts';

export interface Campaign {
  campaignId: string;
  name: string;
  senderId: string;
  templateId: string;
  audience: Audience;
  schedule: Schedule;
  ratePerSecond: number | null;
  warmup: boolean;
  quietHours: QuietHours | null;
  status: CampaignStatus;
  statusReason: string | null;
  workflowId: string;
  createdAt: string;
  updatedAt: string;
  progress?: CampaignProgress;
}


function describeAudience(audience: Audience): string {
  if (audience.kind === 'consented') return 'every contact with consent for the template\'s category';
  if (audience.kind === 'filter') return `consented contacts with ${Object.entries(audience.attributes).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(', ')}`;
  return `${count(audience.contactIds.length)} listed contacts (those with consent)`;
}

function describeSchedule(schedule: Schedule): string {
  if (schedule.kind === 'now') return 'now';
  if (schedule.kind === 'at') return `at ${schedule.at}`;
  return `recurring "${schedule.cron}" (${schedule.timeZone})`;
}

/** Counts per reason, biggest first, as indented lines. */
const byReason = (reasons: Record<string, number>): [string, string][] =>
  Object.entries(reasons).sort((a, b) => b[1] - a[1]).map(([reason, n]) => ['', `  ${count(n)} × ${reason}`]);

export function campaignSummary(campaign: Campaign): string {
  const head = `Campaign "${campaign.name}" ${campaign.campaignId}: ${campaign.status}${campaign.statusReason ? ` (${campaign.statusReason})` : ''}`;
  const about: [string, string][] = [
    ['audience', describeAudience(campaign.audience)],
    ['schedule', describeSchedule(campaign.schedule)],
    ['sender', campaign.senderId],
    ['template', campaign.templateId],
    ...(campaign.ratePerSecond !== null ? [['rate', `at most ${count(campaign.ratePerSecond)} message${campaign.ratePerSecond === 1 ? '' : 's'}/s`] as [string, string]] : []),
    ...(campaign.warmup ? [['warm-up', 'yes: paced by the portfolio\'s governor'] as [string, string]] : []),
    ...(campaign.quietHours ? [['quiet hours', `${campaign.quietHours.start}–${campaign.quietHours.end} (${campaign.quietHours.timeZone})`] as [string, string]] : []),
    ['workflow', `${campaign.workflowId} (Temporal Web UI)`],
  ];
  const lines = [head, fields(about)];
  const progress = campaign.progress;
  if (progress) {
    const share = (n: number) => (progress.audience > 0 ? ` (${Math.round((n / progress.audience) * 100)}%)` : '');
    lines.push('Progress', fields([
      ['recipients', count(progress.audience)],
      ['sent', `${count(progress.sent)}${share(progress.sent)}`],
      ['delivered', count(progress.delivered)],
      ['read', count(progress.read)],
      ['failed', count(progress.failed)],
      ...byReason(progress.failedByReason),
      ['skipped', count(progress.skipped)],
      ...byReason(progress.skippedByReason),
      ['pending', count(progress.pending)],
      ...(progress.ambiguous > 0 ? [['ambiguous', `${count(progress.ambiguous)} (sent, no answer yet: reconciled by status webhook)`] as [string, string]] : []),
    ]));
  }
  return lines.join('\n');
}

/** Messages that have an outcome: the progress bar's numerator. */
export const settled = (progress: CampaignProgress) => progress.sent + progress.failed + progress.skipped + progress.ambiguous;

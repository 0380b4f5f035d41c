// wce campaign create | status | pause | resume | cancel: /v1/campaigns.
import { setTimeout as sleep } from 'node:timers/promises';
import { createCampaignBody } from '../campaign-request.ts';
import { campaignSummary, settled, type Campaign } from '../campaign-view.ts';
import { isCampaignFinal, operatorPauseReason } from '../../domain/campaign.ts';
import { read, UsageError, type Command } from '../command.ts';
import { count, err, out, printJson } from '../output.ts';
import { controlCommand } from './control.ts';
import { ProgressBar } from '../progress-bar.ts';

const campaignPath = (id: string) => `/v1/campaigns/${encodeURIComponent(id)}`;

export const campaignCreate: Command = {
  words: ['campaign', 'create'],
  summary: 'create a campaign of one template to an audience, and start or schedule it',
  usage: '--name NAME --sender SENDER_ID --template TEMPLATE_ID --audience AUDIENCE [options]',
  options: {
    name: { type: 'string' },
    sender: { type: 'string' },
    template: { type: 'string' },
    audience: { type: 'string' },
    schedule: { type: 'string' },
    rate: { type: 'string' },
    warmup: { type: 'boolean' },
    param: { type: 'string', multiple: true },
    'quiet-hours': { type: 'string' },
  },
  optionHelp: [
    ['--name NAME', 'the campaign\'s name'],
    ['--sender SENDER_ID', 'the sender (WhatsApp number) it sends from'],
    ['--template TEMPLATE_ID', 'the template; any status: the campaign waits for its approval'],
    ['--audience AUDIENCE', 'consented | filter:key=value,… (key:=JSON for numbers/booleans) | list:contactId,…'],
    ['--schedule WHEN', 'now (default) | at:2026-12-01T09:00:00+01:00 | cron:"0 9 * * MON"@Europe/London'],
    ['--rate N', 'at most N messages per second (1–1000)'],
    ['--warmup', 'the portfolio\'s warm-up campaign: most engaged first, paced by its governor'],
    ['--param SOURCE', 'a body parameter, repeated in order: value:TEXT | field:displayName[=DEFAULT] | attribute:NAME[=DEFAULT]; NAME=SOURCE for named parameters'],
    ['--quiet-hours START-END@TZ', 'nothing is sent in the recipient\'s local hours, e.g. 21:00-08:00@Europe/London'],
  ],
  notes: ['Only contacts with consent for the template\'s category receive it; consent is checked again at the moment of sending.'],
  examples: [
    'wce campaign create --name "Spring sale" --sender $SENDER --template $TEMPLATE --audience filter:segment=spring --param field:displayName=friend --param attribute:code',
    'wce campaign create --name Weekly --sender $SENDER --template $TEMPLATE --audience consented --schedule \'cron:"0 9 * * MON"@Europe/London\' --rate 50',
  ],
  positionals: { min: 0, max: 0 },

  async run({ values, json, api }) {
    const body = createCampaignBody({
      name: read.required(values, 'name'),
      sender: read.required(values, 'sender'),
      template: read.required(values, 'template'),
      audience: read.required(values, 'audience'),
      schedule: read.string(values, 'schedule'),
      rate: read.integer(values, 'rate', { min: 1, max: 1000 }),
      warmup: values.warmup === true,
      params: read.list(values, 'param'),
      quietHours: read.string(values, 'quiet-hours'),
    });
    const campaign = await api().post<Campaign>('/v1/campaigns', body);
    if (json) printJson(campaign);
    else {
      out(campaignSummary(campaign));
      out(`\nFollow it: wce campaign status ${campaign.campaignId}${campaign.schedule.kind === 'recurring' ? '' : ' --wait'}`);
    }
    return 0;
  },
};

/** Polls until the campaign ends, drawing its progress on stderr; the last answer. */
async function waitForEnd(get: () => Promise<Campaign>, timeoutS: number | undefined): Promise<Campaign> {
  const deadline = timeoutS === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutS * 1000;
  let campaign = await get();
  if (campaign.schedule.kind === 'recurring') throw new UsageError('--wait: a recurring campaign does not end by itself; watch its runs with `wce campaign status` instead');
  const bar = new ProgressBar({ total: campaign.progress?.audience ?? 0, unit: 'recipients' });
  const extra = (c: Campaign) => `${c.status} · ${count(c.progress?.sent ?? 0)} sent · ${count((c.progress?.failed ?? 0) + (c.progress?.skipped ?? 0))} failed or skipped`;
  // The engine pauses a campaign that every send would fail (credentials, balance, a template Meta refuses):
  // that waits for a person, so the wait ends there too (exit 1: it did not complete).
  const stuck = (c: Campaign) => c.status === 'PAUSED' && c.statusReason !== operatorPauseReason;
  while (!isCampaignFinal(campaign.status) && !stuck(campaign) && Date.now() < deadline) {
    bar.setTotal(campaign.progress?.audience ?? 0);
    bar.update(campaign.progress ? settled(campaign.progress) : 0, extra(campaign));
    await sleep(1000);
    campaign = await get();
  }
  bar.setTotal(campaign.progress?.audience ?? 0);
  bar.finish(campaign.progress ? settled(campaign.progress) : 0, extra(campaign));
  return campaign;
}

export const campaignStatus: Command = {
  words: ['campaign', 'status'],
  summary: 'a campaign\'s status and progress: audience, sent, delivered, read, failed and skipped by reason, pending',
  usage: '<campaignId> [--wait [--timeout SECONDS]] [--json]',
  options: { wait: { type: 'boolean' }, timeout: { type: 'string' } },
  optionHelp: [
    ['--wait', 'follow it (progress bar on stderr) until it is COMPLETED, FAILED or CANCELLED, or the engine paused it (exit 1 unless COMPLETED)'],
    ['--timeout SECONDS', 'with --wait: give up after this long (exit code 1)'],
  ],
  notes: ['With --wait the exit code is 0 when the campaign COMPLETED, 1 when it FAILED, was CANCELLED or the timeout passed.'],
  examples: ['wce campaign status 7c1e0a52-6f0e-4a43-9a57-0d7b7f2c8e11', 'wce campaign status $CAMPAIGN --wait --timeout 600'],
  positionals: { min: 1, max: 1 },

  async run({ values, positionals, json, api }) {
    const id = positionals[0]!;
    const get = () => api().get<Campaign>(campaignPath(id));
    const timeout = read.integer(values, 'timeout', { min: 1, max: 7 * 86_400 });
    if (timeout !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait');
    const campaign = values.wait ? await waitForEnd(get, timeout) : await get();
    if (json) printJson(campaign);
    else out(campaignSummary(campaign));
    if (!values.wait) return 0;
    if (campaign.status === 'COMPLETED') return 0;
    err(isCampaignFinal(campaign.status) ? `The campaign ended ${campaign.status}.` : `Still ${campaign.status} after ${timeout} s.`);
    return 1;
  },
};

const campaignControl = (control: 'pause' | 'resume' | 'cancel', summary: string) => controlCommand<Campaign>(
  { word: 'campaign', idName: 'campaignId', exampleId: '7c1e0a52-6f0e-4a43-9a57-0d7b7f2c8e11', path: campaignPath, summarise: campaignSummary }, control, summary);

export const campaignPause = campaignControl('pause', 'pause a campaign: the batch in flight stops within seconds; nothing more is sent until resumed');
export const campaignResume = campaignControl('resume', 'resume a paused campaign');
export const campaignCancel = campaignControl('cancel', 'cancel a campaign: what was not sent is skipped (a recurring campaign\'s schedule is deleted)');

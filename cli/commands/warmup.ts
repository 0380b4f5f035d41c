// wce warmup start | status | pause | resume | cancel: the warm-up governor
// of a business portfolio (/v1/warmups).
import { read, UsageError, type Command, type OptionValues } from '../command.ts';
import { out, printJson } from '../output.ts';
import { controlCommand } from './control.ts';
import { warmupSummary, type Warmup } from '../warmup-view.ts';

const warmupPath = (portfolioId: string) => `/v1/warmups/${encodeURIComponent(portfolioId)}`;
const qualities = ['GREEN', 'YELLOW', 'RED'];

function limitOption(values: OptionValues, name: string): number | 'UNLIMITED' | undefined {
  const value = read.string(values, name);
  if (value === undefined) return undefined;
  if (value.toUpperCase() === 'UNLIMITED') return 'UNLIMITED';
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} must be a positive whole number or UNLIMITED`);
  return Number(value);
}

export const warmupStart: Command = {
  words: ['warmup', 'start'],
  summary: 'start the warm-up governor of a business portfolio (the running one is kept if it exists)',
  usage: '--portfolio PORTFOLIO_ID [--current-limit N] [--target-limit N] [--quality GREEN|YELLOW|RED]',
  options: {
    portfolio: { type: 'string' },
    'current-limit': { type: 'string' },
    'target-limit': { type: 'string' },
    quality: { type: 'string' },
  },
  optionHelp: [
    ['--portfolio ID', 'Meta business portfolio id (digits)'],
    ['--current-limit N', 'the limit Meta gives the portfolio now (default 250), or UNLIMITED'],
    ['--target-limit N', 'warm at this rung (default 100000), or UNLIMITED'],
    ['--quality Q', 'the portfolio\'s quality now: GREEN, YELLOW or RED'],
  ],
  notes: ['The governor becomes the portfolio\'s send authority: every campaign send takes quota from it.'],
  examples: ['wce warmup start --portfolio 556677889900 --target-limit 10000 --quality GREEN'],
  positionals: { min: 0, max: 0 },

  async run({ values, json, api }) {
    const quality = read.string(values, 'quality')?.toUpperCase();
    if (quality !== undefined && !qualities.includes(quality)) throw new UsageError('--quality must be GREEN, YELLOW or RED');
    const currentLimit = limitOption(values, 'current-limit');
    const targetLimit = limitOption(values, 'target-limit');
    const portfolioId = read.required(values, 'portfolio');
    const started = await api().post<{ portfolioId: string; workflowId: string }>('/v1/warmups', {
      portfolioId,
      ...(currentLimit !== undefined ? { currentLimit } : {}),
      ...(targetLimit !== undefined ? { targetLimit } : {}),
      ...(quality !== undefined ? { quality } : {}),
    });
    if (json) printJson(started);
    else out(`Warm-up of portfolio ${started.portfolioId} is running as ${started.workflowId}.\nFollow it: wce warmup status ${started.portfolioId}`);
    return 0;
  },
};

export const warmupStatus: Command = {
  words: ['warmup', 'status'],
  summary: 'the governor\'s state: rung and limit, quality, today\'s allowance and usage, next rung, status',
  usage: '<portfolioId> [--json]',
  options: {},
  optionHelp: [],
  notes: ['--json adds the record of every day on the current run (history).'],
  examples: ['wce warmup status 556677889900'],
  positionals: { min: 1, max: 1 },
  async run({ positionals, json, api }) {
    const warmup = await api().get<Warmup>(warmupPath(positionals[0]!));
    if (json) printJson(warmup);
    else out(warmupSummary(warmup));
    return 0;
  },
};

const warmupControl = (control: 'pause' | 'resume' | 'cancel', summary: string) => controlCommand<Warmup>(
  { word: 'warmup', idName: 'portfolioId', exampleId: '556677889900', path: warmupPath, summarise: warmupSummary }, control, summary);

export const warmupPause = warmupControl('pause', 'pause the warm-up: business-initiated sends of the portfolio are held');
export const warmupResume = warmupControl('resume', 'resume a paused warm-up');
export const warmupCancel = warmupControl('cancel', 'end the warm-up governor of the portfolio');

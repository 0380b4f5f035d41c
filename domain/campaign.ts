// Campaigns: one approved template to an audience, now or at a time. The API's
// shapes, the states of a campaign and of each of its messages, and the pure
// rules the workflow and activities share (which consent a template needs,
// how a recipient's parameters are filled, what a send failure means).
import { z } from 'zod';
import type { ConsentScope } from './consent.ts';
import { templateCategories } from './template.ts';
import { timeZoneSchema } from './contact.ts';

export const campaignStatuses = ['SCHEDULED', 'WAITING_FOR_TEMPLATE', 'SENDING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];
export const isCampaignFinal = (status: CampaignStatus): boolean => status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';

/**
 * A recipient's message, from snapshot to outcome. PENDING: not yet sent.
 * CLAIMED: the send is under way (a crash here leaves it unclear whether it
 * left). SENT: Vonage accepted it. AMBIGUOUS: the request left without an
 * answer; reconciled through client_ref, never blindly resent. FAILED and
 * SKIPPED are final and carry a reason.
 */
export const messageStates = ['PENDING', 'CLAIMED', 'SENT', 'AMBIGUOUS', 'FAILED', 'SKIPPED'] as const;
export type MessageState = (typeof messageStates)[number];

export const skipReasons = {
  noConsent: 'no consent for the template\'s category at send time',
  missingParameter: 'missing a required parameter value',
  noNumber: 'no WhatsApp number',
  cancelled: 'campaign cancelled before the send',
} as const;

/** Marketing templates need marketing consent; utility and authentication messages need utility consent. */
export function consentScopeFor(category: (typeof templateCategories)[number]): ConsentScope {
  return category === 'MARKETING' ? 'MARKETING' : 'UTILITY';
}

const contactField = z.enum(['displayName', 'whatsappNumber', 'externalId', 'locale']);

export const parameterSource = z.union([
  // Meta refuses empty parameters: a value or default must say something.
  z.object({ value: z.string().trim().min(1).max(1024) }).strict().describe('A fixed value.'),
  z.object({ field: contactField, default: z.string().trim().min(1).max(1024).optional() }).strict().describe('A contact field, with a default when it is empty.'),
  z.object({ attribute: z.string().min(1).max(100), default: z.string().trim().min(1).max(1024).optional() }).strict().describe('A contact attribute, with a default when it is missing.'),
]);
export type ParameterSource = z.infer<typeof parameterSource>;

export const audienceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('consented') }).strict().describe('Every contact with consent for the template\'s category.'),
  z.object({ kind: z.literal('filter'), attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }).strict()
    .describe('Consented contacts whose attributes include all of these values.'),
  z.object({ kind: z.literal('list'), contactIds: z.array(z.uuid()).min(1).max(100_000) }).strict().describe('These contacts (those with consent).'),
]).meta({ id: 'CampaignAudience' });
export type Audience = z.infer<typeof audienceSchema>;

/** Five cron fields (minute hour day-of-month month day-of-week), as Temporal Schedules read them. */
const cronExpression = z.string().trim().regex(/^(\S+\s+){4}\S+$/, 'must be five cron fields: minute hour day-of-month month day-of-week');

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('now') }).strict(),
  z.object({ kind: z.literal('at'), at: z.iso.datetime({ offset: true }) }).strict(),
  z.object({
    kind: z.literal('recurring'),
    cron: cronExpression.describe('e.g. "0 9 * * MON" for Mondays at 09:00.'),
    timeZone: timeZoneSchema,
  }).strict().describe('Each run snapshots the audience anew: only those consented at that run receive it, once per run.'),
]).meta({ id: 'CampaignSchedule' });
export type Schedule = z.infer<typeof scheduleSchema>;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM');

export const quietHoursSchema = z.object({
  start: clock.describe('Local time from which nothing is sent, e.g. "21:00".'),
  end: clock.describe('Local time from which sending resumes, e.g. "08:00".'),
  timeZone: timeZoneSchema.describe('For contacts without a time zone of their own.'),
}).strict().refine((quiet) => quiet.start !== quiet.end, { message: 'start and end must differ', path: ['end'] }).meta({ id: 'QuietHours' });
export type QuietHours = z.infer<typeof quietHoursSchema>;

export const createCampaignSchema = z.object({
  name: z.string().trim().min(1).max(200),
  senderId: z.uuid(),
  templateId: z.uuid().describe('Any status: the campaign waits for its approval.'),
  audience: audienceSchema,
  parameters: z.union([z.array(parameterSource).max(100), z.record(z.string(), parameterSource)]).optional()
    .describe('Body parameters: a list for {{1}}, {{2}}…, or an object by name for named parameters.'),
  schedule: scheduleSchema.default({ kind: 'now' }),
  ratePerSecond: z.number().int().min(1).max(1_000).optional().describe('Cap on messages per second (default: as fast as the provider answers).'),
  quietHours: quietHoursSchema.optional().describe('Nothing is sent to a recipient during these local hours; their message waits for the window to open.'),
  warmup: z.boolean().default(false).describe('A warm-up campaign for the sender\'s portfolio: the most engaged contacts first (recent replies and reads), drawing what the portfolio\'s governor allows each day.'),
}).strict().meta({ id: 'CreateCampaign' });
export type CreateCampaign = z.infer<typeof createCampaignSchema>;

export interface RecipientContact {
  whatsappNumber: string | null;
  displayName: string | null;
  externalId: string | null;
  locale: string | null;
  attributes: Record<string, unknown>;
}

const present = (value: unknown): string | undefined => {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  return text !== undefined && text.trim() !== '' ? text : undefined;
};

/**
 * The body parameter values for one recipient, in the template's order; a
 * required value that is missing with no default skips the recipient, named.
 */
export function resolveParameters(
  names: readonly string[],
  mapping: CreateCampaign['parameters'],
  contact: RecipientContact,
): { ok: true; values: string[] } | { ok: false; missing: string } {
  const values: string[] = [];
  for (const [index, name] of names.entries()) {
    const source = Array.isArray(mapping) ? mapping[index] : mapping?.[name];
    if (!source) return { ok: false, missing: name };
    const value = 'value' in source ? source.value
      : 'field' in source ? present(contact[source.field]) ?? source.default
        : present(contact.attributes[source.attribute]) ?? source.default;
    if (value === undefined) return { ok: false, missing: name };
    values.push(value);
  }
  return { ok: true, values };
}

export const campaignWorkflowId = (campaignId: string): string => `campaign/${campaignId}`;

/** The reason written when an operator pauses a campaign (the API, or an update from the Web UI). */
export const operatorPauseReason = 'paused by an operator';

/** Counts per state and outcome, for progress and the final record. */
export interface CampaignCounts {
  audience: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  ambiguous: number;
  failedByReason: Record<string, number>;
  skippedByReason: Record<string, number>;
}

export const emptyCounts = (): CampaignCounts => ({
  audience: 0, pending: 0, sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0, ambiguous: 0, failedByReason: {}, skippedByReason: {},
});

/**
 * A send failure that would fail every other recipient the same way: bad
 * credentials, no balance, a barred account or sender, a template Meta will
 * not send. The campaign pauses with the reason instead of burning its audience.
 */
export function campaignFatalReason(status: number | undefined, code: string | undefined): string | undefined {
  if (status === 401 || status === 403) return 'Vonage rejected the sender\'s credentials';
  if (status === 402 || code === '1290') return 'the Vonage account balance is too low';
  const byCode: Record<string, string> = {
    '1060': 'the Vonage account is barred',
    '1120': 'Vonage refuses this sender number',
    '1420': 'the sender number does not belong to this Vonage account',
    '1022': 'Meta says the template is invalid',
    '132000': 'the template\'s parameters do not match what Meta approved',
    '132001': 'the template is not approved in this language',
    '132015': 'Meta paused the template for low quality',
    '132016': 'Meta disabled the template',
  };
  return code === undefined ? undefined : byCode[code];
}

/** What one batch did; the workflow adds these up and decides when to go on. */
export interface BatchResult {
  /** No PENDING message was left when the batch looked. */
  done: boolean;
  attempted: number;
  sent: number;
  failed: number;
  skipped: number;
  ambiguous: number;
  /** Sends that failed in a way worth retrying (back to PENDING, each after its own back-off). */
  retryable: number;
  /** Recipients the portfolio's quota did not allow now, and when to ask again. */
  deferred: number;
  quotaRetryAt: string | null;
  quotaReason: string | null;
  /** Set when the campaign must pause (campaignFatalReason). */
  fatal: string | null;
  /** Nothing is sendable now, but recipients held by quiet hours become so at this time. */
  quietUntil: string | null;
  /** The run's counts in the database (delivery included) after the batch, when the workflow asked for them. */
  counts: CampaignCounts | null;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight in a time zone. */
function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute');
}

/**
 * When the recipient's quiet hours end, if `at` falls inside them (in the
 * contact's time zone, else the campaign's); null when sending is fine now.
 * Minute arithmetic: on a daylight-saving day the answer can be an hour off
 * (early: the next look finds the window still closed; late: an hour of
 * sending lost), never inside the quiet hours.
 */
export function quietUntil(at: Date, quiet: QuietHours, contactTimeZone: string | null): Date | null {
  const zone = contactTimeZone ?? quiet.timeZone;
  const now = localMinutes(at, zone);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  const minutesLeft = (end - now + 1440) % 1440;
  const startOfMinute = at.getTime() - (at.getTime() % 60_000);
  return new Date(startOfMinute + minutesLeft * 60_000);
}

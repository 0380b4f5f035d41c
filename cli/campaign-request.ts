// From command-line words to the body of POST /v1/campaigns (the
// CreateCampaign schema in domain/campaign.ts): audience, schedule, body
// parameters and quiet hours written the short way. Pure; the API validates
// the result again and names any field it refuses.
import type { Audience, QuietHours, Schedule } from '../domain/campaign.ts';
import { UsageError } from './command.ts';

type AttributeValue = string | number | boolean;
/** A body parameter as written on the command line; the API checks the field names (and names a wrong one). */
type ParameterSource = { value: string } | { field: string; default?: string } | { attribute: string; default?: string };

const audienceHelp = 'consented, filter:key=value,… or list:contactId,…';

/** consented | filter:segment=spring,vip:=true (":=" reads the value as JSON) | list:id,id */
export function parseAudience(text: string): Audience {
  if (text === 'consented') return { kind: 'consented' };
  if (text.startsWith('filter:')) {
    const attributes: Record<string, AttributeValue> = {};
    for (const pair of text.slice('filter:'.length).split(',').filter((p) => p.trim() !== '')) {
      const typed = /^([^=:]+):=(.*)$/.exec(pair);
      const plain = /^([^=]+)=(.*)$/.exec(pair);
      if (typed) {
        let value: unknown;
        try {
          value = JSON.parse(typed[2]!);
        } catch {
          throw new UsageError(`--audience: ${typed[1]}:= needs a JSON value (a number, true, false or "text")`);
        }
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new UsageError(`--audience: ${typed[1]} must be a string, number or boolean`);
        attributes[typed[1]!.trim()] = value;
      } else if (plain) {
        attributes[plain[1]!.trim()] = plain[2]!;
      } else {
        throw new UsageError(`--audience: "${pair}" is not key=value`);
      }
    }
    if (Object.keys(attributes).length === 0) throw new UsageError('--audience filter: needs at least one key=value');
    return { kind: 'filter', attributes };
  }
  if (text.startsWith('list:')) {
    const contactIds = text.slice('list:'.length).split(',').map((id) => id.trim()).filter(Boolean);
    if (contactIds.length === 0) throw new UsageError('--audience list: needs at least one contact id');
    return { kind: 'list', contactIds };
  }
  throw new UsageError(`--audience must be ${audienceHelp}`);
}

const unquote = (text: string) => (/^(["']).*\1$/s.test(text) ? text.slice(1, -1) : text);

/** now | at:2026-12-01T09:00:00+01:00 | cron:"0 9 * * MON"@Europe/London */
export function parseSchedule(text: string): Schedule {
  if (text === 'now') return { kind: 'now' };
  if (text.startsWith('at:')) {
    const at = text.slice(3).trim();
    if (Number.isNaN(Date.parse(at))) throw new UsageError(`--schedule at: "${at}" is not an ISO date-time`);
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(at)) throw new UsageError('--schedule at: give the time with its offset, e.g. at:2026-12-01T09:00:00+01:00 or …Z');
    return { kind: 'at', at };
  }
  if (text.startsWith('cron:')) {
    const rest = text.slice(5);
    const split = rest.lastIndexOf('@');
    if (split < 0) throw new UsageError('--schedule cron: add the time zone, e.g. cron:"0 9 * * MON"@Europe/London');
    const cron = unquote(rest.slice(0, split).trim()).trim();
    const timeZone = rest.slice(split + 1).trim();
    if (cron.split(/\s+/).length !== 5) throw new UsageError('--schedule cron: needs five fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * MON"');
    if (!timeZone) throw new UsageError('--schedule cron: the time zone after @ is empty');
    return { kind: 'recurring', cron, timeZone };
  }
  throw new UsageError('--schedule must be now, at:ISO-TIME or cron:"EXPR"@TimeZone');
}

const sourcePattern = /^(value|field|attribute):/;

function parseSource(text: string): ParameterSource {
  if (text.startsWith('value:')) return { value: text.slice(6) };
  const match = /^(field|attribute):([^=]+)(?:=(.*))?$/s.exec(text);
  if (!match) throw new UsageError(`--param "${text}": use value:TEXT, field:NAME[=DEFAULT] or attribute:NAME[=DEFAULT]`);
  const [, kind, name, fallback] = match;
  const source = kind === 'field' ? { field: name! } : { attribute: name! };
  return fallback !== undefined ? { ...source, default: fallback } : source;
}

/**
 * --param per body parameter: in order for {{1}}, {{2}}… (value:TEXT,
 * field:displayName=friend, attribute:code), or NAME=SOURCE for named ones.
 */
export function parseParameters(params: string[]): ParameterSource[] | Record<string, ParameterSource> | undefined {
  if (params.length === 0) return undefined;
  const named = params.map((param) => (sourcePattern.test(param) ? 'positional' as const : /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(param)));
  const invalid = named.findIndex((match) => match === null);
  if (invalid >= 0) parseSource(params[invalid]!); // throws, naming the parameter
  if (named.every((match) => match === 'positional')) return params.map(parseSource);
  if (named.some((match) => match === 'positional')) throw new UsageError('--param: give every parameter by position (value:…, field:…, attribute:…) or every one by name (NAME=value:…), not a mix');
  return Object.fromEntries((named as RegExpExecArray[]).map((match) => [match[1]!, parseSource(match[2]!)]));
}

/** 21:00-08:00@Europe/London */
export function parseQuietHours(text: string): QuietHours {
  const match = /^(\d{2}:\d{2})-(\d{2}:\d{2})@(.+)$/.exec(text.trim());
  if (!match) throw new UsageError('--quiet-hours must be START-END@TimeZone, e.g. 21:00-08:00@Europe/London');
  return { start: match[1]!, end: match[2]!, timeZone: match[3]! };
}

export interface CampaignFlags {
  name: string;
  sender: string;
  template: string;
  audience: string;
  schedule?: string | undefined;
  rate?: number | undefined;
  warmup?: boolean | undefined;
  params?: string[];
  quietHours?: string | undefined;
}

export function createCampaignBody(flags: CampaignFlags): Record<string, unknown> {
  const parameters = parseParameters(flags.params ?? []);
  return {
    name: flags.name,
    senderId: flags.sender,
    templateId: flags.template,
    audience: parseAudience(flags.audience),
    ...(parameters !== undefined ? { parameters } : {}),
    schedule: parseSchedule(flags.schedule ?? 'now'),
    ...(flags.rate !== undefined ? { ratePerSecond: flags.rate } : {}),
    ...(flags.quietHours !== undefined ? { quietHours: parseQuietHours(flags.quietHours) } : {}),
    ...(flags.warmup ? { warmup: true } : {}),
  };
}

// Meta's portfolio-level webhooks (business_capability_update,
// phone_number_quality_update, account_alerts) read as what they say about a
// portfolio's limit, quality and restriction. Field names and values follow
// ../shared/reference/whatsapp.md §1.7; Meta has renamed and removed fields
// before, so anything not understood is ignored rather than refused.
import { limitFromProvider, qualityFromProvider, qualityRank, type MessagingLimit, type Quality } from './messaging-limits.ts';

export interface LimitEvent {
  /** Which portfolio: by the WABA the entry is about, or by one of its numbers. */
  wabaId: string;
  displayPhoneNumber?: string;
  limit?: MessagingLimit;
  quality?: Quality;
  restricted?: boolean;
  event: string;
}

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** undefined when the change is not one of these fields or says nothing the governor uses. */
export function limitEventFromMetaChange(field: string, rawValue: unknown, entryId: string): LimitEvent | undefined {
  const value = record(rawValue);
  const limit = limitFromProvider(value.max_daily_conversations_per_business) ?? limitFromProvider(value.current_limit) ?? limitFromProvider(value.max_daily_conversation_per_phone);
  let event: LimitEvent;
  if (field === 'business_capability_update') {
    event = { wabaId: entryId, event: field, ...(limit !== undefined ? { limit } : {}) };
  } else if (field === 'phone_number_quality_update') {
    const name = typeof value.event === 'string' ? value.event.toUpperCase() : 'UNKNOWN';
    // Legacy FLAGGED/UNFLAGGED carried the quality; newer payloads may name it outright.
    const quality = qualityFromProvider(value.quality_rating ?? value.quality) ?? (name === 'FLAGGED' ? 'RED' : name === 'UNFLAGGED' ? 'GREEN' : undefined);
    event = {
      wabaId: entryId, event: `${field}:${name}`,
      ...(typeof value.display_phone_number === 'string' ? { displayPhoneNumber: value.display_phone_number } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(quality ? { quality } : {}),
    };
  } else if (field === 'account_alerts' || field === 'account_update') {
    const named = [value.alert_type, value.event].find((v): v is string => typeof v === 'string');
    const name = (named ?? 'UNKNOWN').toUpperCase();
    const lifted = /LIFT|UNRESTRICT|REMOVED/.test(name);
    const restricted = /RESTRICT/.test(name) ? !lifted : undefined;
    event = { wabaId: entryId, event: `${field}:${name}`, ...(restricted !== undefined ? { restricted } : {}) };
  } else {
    return undefined;
  }
  return event.limit !== undefined || event.quality !== undefined || event.restricted !== undefined ? event : undefined;
}

/** One business number as Meta's Graph API lists it under a WABA (GET /{waba-id}/phone_numbers). */
export interface GraphPhoneNumber {
  display_phone_number?: string | undefined;
  quality_rating?: string | undefined;
  whatsapp_business_manager_messaging_limit?: string | undefined;
  status?: string | undefined;
}

/**
 * What a poll of the portfolio's numbers says about the portfolio: the limit
 * (portfolio-wide, so any number's), the worst known quality (one bad number
 * is the portfolio's risk), restricted when any number is. Fields no number
 * reported stay absent so they do not overwrite what webhooks said. Number
 * restrictions are reported apart from the account restriction webhooks
 * report, so a CONNECTED number never lifts an account_update restriction.
 */
export function portfolioStandingFromGraph(numbers: readonly GraphPhoneNumber[]): Omit<LimitEvent, 'wabaId' | 'event' | 'restricted'> & { numbersRestricted?: boolean } {
  const limits = numbers.map((n) => limitFromProvider(n.whatsapp_business_manager_messaging_limit)).filter((l) => l !== undefined);
  const known = numbers.map((n) => qualityFromProvider(n.quality_rating)).filter((q): q is Quality => q !== undefined && q !== 'UNKNOWN');
  const statuses = numbers.map((n) => n.status?.toUpperCase()).filter((s): s is string => Boolean(s));
  const worst = known.reduce<Quality | undefined>((a, b) => (a === undefined || qualityRank[b] > qualityRank[a] ? b : a), undefined);
  return {
    ...(limits.length > 0 ? { limit: limits[0]! } : {}),
    ...(worst ? { quality: worst } : {}),
    ...(statuses.length > 0 ? { numbersRestricted: statuses.some((s) => /RESTRICT|BANNED/.test(s)) } : {}),
  };
}

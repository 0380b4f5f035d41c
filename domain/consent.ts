// Consent: who may receive business-initiated WhatsApp messages, per scope
// (Meta recommends opt-in per message category). Every change is an append-only
// ledger record naming its source; the current state is derived from it.
import { z } from 'zod';

export const consentScopes = ['MARKETING', 'UTILITY'] as const;
export type ConsentScope = (typeof consentScopes)[number];

export const consentSources = ['api', 'profile', 'import', 'keyword', 'provider-preference', 'admin'] as const;
export type ConsentSource = (typeof consentSources)[number];

export const consentChangeSchema = z.object({
  scope: z.enum(consentScopes),
  granted: z.boolean(),
  source: z.enum(['api', 'admin']).default('api').describe('Who made the change through the API.'),
  proof: z.string().max(2000).optional().describe('Wording shown, form id, URL or message id: what shows the person agreed (or withdrew).'),
  ip: z.string().max(64).optional(),
  userAgent: z.string().max(512).optional(),
}).strict().meta({ id: 'ConsentChange' });

export const consentEventSchema = z.object({
  consentEventId: z.string(),
  channel: z.literal('whatsapp'),
  scope: z.enum(consentScopes),
  granted: z.boolean(),
  source: z.enum(consentSources),
  proof: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  effectiveAt: z.iso.datetime().describe('When the person expressed it (an inbound message\'s time, a provider event\'s time); the latest statement decides the current state.'),
  recordedAt: z.iso.datetime().describe('When the engine stored it.'),
}).meta({ id: 'ConsentEvent' });

export type ConsentChange = Omit<z.infer<typeof consentChangeSchema>, 'source'> & {
  source: ConsentSource;
  /** When the person expressed it; now if not given. An older statement applied late is recorded but does not override a newer one. */
  effectiveAt?: Date;
};
export type ConsentEvent = z.infer<typeof consentEventSchema>;

/**
 * A CleverTap-style subscription flag (`msg-whatsapp` / `MSG-whatsapp`): a
 * boolean or the strings "true"/"false" in any case. Anything else is not a
 * consent statement (undefined), never a guess.
 */
export function parseSubscriptionFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const normalised = value.trim().toLowerCase();
    if (normalised === 'true') return true;
    if (normalised === 'false') return false;
  }
  return undefined;
}

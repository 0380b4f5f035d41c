// Contacts: the people a business messages, keyed by WhatsApp number or by the
// business's own id (CleverTap identity / object id).
import { z } from 'zod';
import { consentScopes } from './consent.ts';
import { normaliseWhatsAppNumber } from './phone-number.ts';

// Building an Intl formatter costs ~30 µs; an import checks the same few zones a million times.
const knownZones = new Map<string, boolean>();
export function isTimeZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    if (knownZones.size < 10_000) knownZones.set(zone, known);
  }
  return known;
}

export const invalidNumberMessage = 'must be a valid phone number in international format';

export const timeZoneSchema = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/London');
const timeZone = timeZoneSchema;

export const contactFields = z.object({
  whatsappNumber: z.string().max(32).refine((value) => normaliseWhatsAppNumber(value) !== undefined, invalidNumberMessage).optional(),
  externalId: z.string().min(1).max(200).optional().describe('Your id for the person (CleverTap identity or object id).'),
  displayName: z.string().max(200).optional(),
  locale: z.string().regex(/^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/, 'must be a locale such as en or pt_BR').optional(),
  timeZone: timeZone.optional(),
  attributes: z.record(z.string(), z.unknown()).optional().describe('Free-form properties, merged into what is stored.'),
});

export const identified = <T extends { whatsappNumber?: string | undefined; externalId?: string | undefined }>(contact: T) =>
  contact.whatsappNumber !== undefined || contact.externalId !== undefined;
export const identifiedMessage = { message: 'give a whatsappNumber or an externalId (or both)', path: ['whatsappNumber'] };

export type UpsertContact = z.infer<typeof contactFields>;

export const contactSchema = z.object({
  contactId: z.uuid(),
  whatsappNumber: z.string().nullable(),
  externalId: z.string().nullable(),
  displayName: z.string().nullable(),
  locale: z.string().nullable(),
  timeZone: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  consent: z.record(z.enum(consentScopes), z.boolean()).describe('Current WhatsApp consent per scope, derived from the ledger.'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'Contact' });

export type Contact = z.infer<typeof contactSchema>;

import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A WhatsApp number as the business typed it, normalised to E.164 ("+14155550101").
 * Returns undefined when the number is not a valid, dialable number for its country:
 * Meta and Vonage reject those, so we refuse them at the door.
 */
export function normaliseWhatsAppNumber(input: string): string | undefined {
  const trimmed = input.trim();
  const withPlus = trimmed.startsWith('+') ? trimmed : `+${trimmed.replace(/^00/, '')}`;
  const parsed = parsePhoneNumberFromString(withPlus);
  if (!parsed || !parsed.isValid()) return undefined;
  return parsed.number;
}

/** Vonage's wire format for `to`/`from`: E.164 digits without the plus. */
export function toVonageNumber(e164: string): string {
  return e164.replace(/^\+/, '');
}

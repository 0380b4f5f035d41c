// Turning one imported row (CSV or NDJSON) into a contact and a consent
// statement, or into the reasons it is refused. Pure, so the rules are tested
// without a database and the importer only moves data.
import { z } from 'zod';
import { parseSubscriptionFlag, type ConsentScope } from './consent.ts';
import { contactFields, invalidNumberMessage, type UpsertContact } from './contact.ts';
import { normaliseWhatsAppNumber } from './phone-number.ts';
import type { FieldError } from './problems.ts';

export const importOptionsSchema = z.object({
  phoneColumn: z.string().min(1).default('phone'),
  externalIdColumn: z.string().min(1).default('external_id'),
  nameColumn: z.string().min(1).default('name'),
  timeZoneColumn: z.string().min(1).default('time_zone'),
  localeColumn: z.string().min(1).default('locale'),
  consentColumn: z.string().min(1).default('consent').describe('true/false: WhatsApp consent granted or revoked; empty = unchanged.'),
  consentScopes: z.enum(['MARKETING', 'UTILITY', 'BOTH']).default('BOTH'),
  proof: z.string().max(2000).optional().describe('Recorded with every consent change of this import, e.g. the campaign that collected it.'),
  attributeColumns: z.string().optional().describe('Comma-separated columns kept as attributes; default: every column not mapped above.'),
}).strict();

export type ImportOptions = z.infer<typeof importOptionsSchema>;

export interface ImportedRow {
  contact: UpsertContact & { whatsappNumber?: string };
  /** undefined = the row says nothing about consent. */
  consent: boolean | undefined;
}

export function scopesOf(options: ImportOptions): ConsentScope[] {
  return options.consentScopes === 'BOTH' ? ['MARKETING', 'UTILITY'] : [options.consentScopes];
}

const mappedColumns = (options: ImportOptions) => [options.phoneColumn, options.externalIdColumn, options.nameColumn, options.timeZoneColumn, options.localeColumn, options.consentColumn];

/** Columns named in the options that the file's header does not have: refused before any row is read. */
export function missingColumns(options: ImportOptions, header: string[], given: Partial<Record<keyof ImportOptions, unknown>>): FieldError[] {
  const errors: FieldError[] = [];
  const explicitlyMapped: (keyof ImportOptions)[] = ['phoneColumn', 'externalIdColumn', 'nameColumn', 'timeZoneColumn', 'localeColumn', 'consentColumn'];
  for (const key of explicitlyMapped) {
    const column = options[key] as string;
    if (given[key] !== undefined && !header.includes(column)) errors.push({ field: key, message: `the file has no column "${column}"` });
  }
  if (!header.includes(options.phoneColumn) && !header.includes(options.externalIdColumn)) {
    errors.push({ field: 'phoneColumn', message: `the file needs a "${options.phoneColumn}" or an "${options.externalIdColumn}" column` });
  }
  for (const column of (options.attributeColumns ?? '').split(',').map((c) => c.trim()).filter(Boolean)) {
    if (!header.includes(column)) errors.push({ field: 'attributeColumns', message: `the file has no column "${column}"` });
  }
  return errors;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const string = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  return string === '' ? undefined : string;
}

export type MappedRow = ImportedRow | { errors: FieldError[] };

/** One row: a contact and its consent, or every reason it is refused. */
export function importRow(record: Record<string, unknown>, options: ImportOptions): MappedRow {
  const errors: FieldError[] = [];
  const attributeColumns = options.attributeColumns
    ? options.attributeColumns.split(',').map((c) => c.trim()).filter(Boolean)
    : Object.keys(record).filter((column) => !mappedColumns(options).includes(column));
  const attributes = Object.fromEntries(attributeColumns.filter((c) => record[c] !== undefined && record[c] !== '').map((c) => [c, record[c]]));
  const phone = record[options.phoneColumn];
  const phoneText = text(phone);
  // The number is parsed once (libphonenumber is most of a row's cost) and stored as E.164 from here on.
  const whatsappNumber = phoneText === undefined ? undefined : normaliseWhatsAppNumber(phoneText.startsWith('+') || phoneText.startsWith('00') ? phoneText : `+${phoneText}`);
  if (phone !== undefined && typeof phone !== 'string' && typeof phone !== 'number') errors.push({ field: options.phoneColumn, message: 'must be a phone number' });
  else if (phoneText !== undefined && whatsappNumber === undefined) errors.push({ field: options.phoneColumn, message: invalidNumberMessage });
  const fields: UpsertContact = {
    ...(text(record[options.externalIdColumn]) !== undefined ? { externalId: text(record[options.externalIdColumn])! } : {}),
    ...(text(record[options.nameColumn]) !== undefined ? { displayName: text(record[options.nameColumn])! } : {}),
    ...(text(record[options.timeZoneColumn]) !== undefined ? { timeZone: text(record[options.timeZoneColumn])! } : {}),
    ...(text(record[options.localeColumn]) !== undefined ? { locale: text(record[options.localeColumn])! } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
  };
  const parsed = contactFields.safeParse(fields);
  if (!parsed.success) {
    const column: Record<string, string> = { externalId: options.externalIdColumn, displayName: options.nameColumn, timeZone: options.timeZoneColumn, locale: options.localeColumn };
    for (const issue of parsed.error.issues) errors.push({ field: column[String(issue.path[0])] ?? String(issue.path[0]), message: issue.message });
  }
  if (phoneText === undefined && fields.externalId === undefined) errors.push({ field: options.phoneColumn, message: `needs a "${options.phoneColumn}" or an "${options.externalIdColumn}" value` });
  const rawConsent = record[options.consentColumn];
  const consent = text(rawConsent) === undefined ? undefined : parseSubscriptionFlag(typeof rawConsent === 'boolean' ? rawConsent : text(rawConsent));
  if (text(rawConsent) !== undefined && consent === undefined) errors.push({ field: options.consentColumn, message: 'must be true or false' });
  if (errors.length > 0) return { errors };
  const contact = whatsappNumber === undefined ? fields : { ...fields, whatsappNumber };
  return { contact, consent };
}

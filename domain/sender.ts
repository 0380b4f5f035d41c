// A sender is one WhatsApp business number and the Vonage credentials that send
// from it (the seed's "Add Nexmo" form). Schemas here are the API contract.
import { z } from 'zod';
import { normaliseWhatsAppNumber } from './phone-number.ts';
import type { FieldError } from './problems.ts';

const secret = (description: string) => z.string().min(1).max(10_000).describe(description);
const metaId = (description: string) => z.string().regex(/^\d{1,32}$/, 'must be the numeric id Meta shows').describe(description);

const whatsappNumber = z
  .string()
  .min(1)
  .max(32)
  .refine((value) => normaliseWhatsAppNumber(value) !== undefined, 'must be a valid phone number in international format, e.g. +14155550101')
  .describe('The WhatsApp business number, in international format; stored as E.164.');

const senderFields = {
  nickname: z.string().trim().min(1).max(100).describe('A name for this set of credentials.'),
  whatsappNumber,
  apiKey: z.string().trim().min(1).max(64).describe('Vonage API key (account identifier, not secret).'),
  apiSecret: secret('Vonage API secret. Write-only.'),
  applicationId: z.uuid().describe('Vonage application id, used with the private key for JWT auth.'),
  privateKey: secret('PEM private key of the Vonage application. Write-only.'),
  signatureSecret: secret('Signature secret that Vonage signs webhooks with. Write-only.'),
  wabaId: metaId('WhatsApp Business Account id.'),
  portfolioId: metaId('Meta business portfolio id; the messaging limit is shared across it.'),
  autoReplyEnabled: z.boolean().describe('Auto-reply to inbound messages from unknown users.'),
  autoReplyText: z.string().trim().min(1).max(4096).describe('Text of the auto-reply.'),
  throughputMps: z.number().int().min(1).max(1_000).describe('Messages per second Meta allows this number (80 by default, 1,000 once upgraded); every campaign of the number shares them.'),
};

export const createSenderSchema = z
  .object({
    nickname: senderFields.nickname,
    whatsappNumber: senderFields.whatsappNumber,
    apiKey: senderFields.apiKey.optional(),
    apiSecret: senderFields.apiSecret.optional(),
    applicationId: senderFields.applicationId.optional(),
    privateKey: senderFields.privateKey.optional(),
    signatureSecret: senderFields.signatureSecret.optional(),
    wabaId: senderFields.wabaId.optional(),
    portfolioId: senderFields.portfolioId.optional(),
    autoReplyEnabled: senderFields.autoReplyEnabled.default(false),
    autoReplyText: senderFields.autoReplyText.optional(),
    throughputMps: senderFields.throughputMps.default(80),
  })
  .strict()
  .meta({ id: 'CreateSender' });

// PATCH: every field optional; null clears an optional field (secrets included).
export const updateSenderSchema = z
  .object({
    nickname: senderFields.nickname.optional(),
    whatsappNumber: senderFields.whatsappNumber.optional(),
    apiKey: senderFields.apiKey.nullable().optional(),
    apiSecret: senderFields.apiSecret.nullable().optional(),
    applicationId: senderFields.applicationId.nullable().optional(),
    privateKey: senderFields.privateKey.nullable().optional(),
    signatureSecret: senderFields.signatureSecret.nullable().optional(),
    wabaId: senderFields.wabaId.nullable().optional(),
    portfolioId: senderFields.portfolioId.nullable().optional(),
    autoReplyEnabled: senderFields.autoReplyEnabled.optional(),
    autoReplyText: senderFields.autoReplyText.nullable().optional(),
    throughputMps: senderFields.throughputMps.optional(),
  })
  .strict()
  .meta({ id: 'UpdateSender' });

export const senderSchema = z
  .object({
    senderId: z.uuid(),
    nickname: z.string(),
    whatsappNumber: z.string().describe('E.164'),
    apiKey: z.string().nullable(),
    applicationId: z.string().nullable(),
    wabaId: z.string().nullable(),
    portfolioId: z.string().nullable(),
    autoReplyEnabled: z.boolean(),
    autoReplyText: z.string().nullable(),
    throughputMps: z.number().int(),
    secrets: z
      .object({ apiSecret: z.boolean(), privateKey: z.boolean(), signatureSecret: z.boolean() })
      .describe('Which write-only secrets are set. Their values are never returned.'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Sender' });

export type CreateSender = z.infer<typeof createSenderSchema>;
export type UpdateSender = z.infer<typeof updateSenderSchema>;
export type Sender = z.infer<typeof senderSchema>;

/** The sender's settings after a create or update, secrets reduced to "is it set". */
export interface SenderSettings {
  apiKey: string | null;
  hasApiSecret: boolean;
  applicationId: string | null;
  hasPrivateKey: boolean;
  autoReplyEnabled: boolean;
  autoReplyText: string | null;
}

/**
 * Rules that span fields. Vonage authenticates a send with either Basic
 * (API key + secret) or JWT (application id + private key), so one complete
 * pair is required; an auto-reply needs its text.
 */
export function senderSettingsProblems(settings: SenderSettings): FieldError[] {
  const problems: FieldError[] = [];
  const basic = settings.apiKey !== null && settings.hasApiSecret;
  const jwt = settings.applicationId !== null && settings.hasPrivateKey;
  if (!basic && !jwt) {
    const message = 'Vonage credentials are incomplete: give apiKey with apiSecret, or applicationId with privateKey';
    if (settings.apiKey !== null || settings.hasApiSecret) {
      problems.push({ field: settings.apiKey === null ? 'apiKey' : 'apiSecret', message });
    } else if (settings.applicationId !== null || settings.hasPrivateKey) {
      problems.push({ field: settings.applicationId === null ? 'applicationId' : 'privateKey', message });
    } else {
      problems.push({ field: 'apiKey', message }, { field: 'applicationId', message });
    }
  }
  if (settings.autoReplyEnabled && !settings.autoReplyText) {
    problems.push({ field: 'autoReplyText', message: 'is required when autoReplyEnabled is true' });
  }
  return problems;
}

// The webhook bodies Vonage posts (reference/vonage.md §6, §7). Loose objects:
// Vonage adds fields over time, and an unknown field must not cost us an event.
import { z } from 'zod';
import { messageStatuses } from './message-status.ts';

const vonageNumber = z.string().regex(/^\d{6,15}$/, 'must be digits in E.164 without +');

export const statusWebhookSchema = z.looseObject({
  message_uuid: z.string().min(1).max(100),
  to: z.string().min(1),
  from: vonageNumber,
  timestamp: z.iso.datetime({ offset: true }),
  status: z.enum(messageStatuses),
  channel: z.string(),
  client_ref: z.string().max(100).optional(),
  error: z.looseObject({ type: z.string().optional(), title: z.union([z.string(), z.number()]).optional(), detail: z.string().optional() }).optional(),
  usage: z.looseObject({ currency: z.string().optional(), price: z.string().optional() }).optional(),
  whatsapp: z.looseObject({ conversation: z.looseObject({ id: z.string().optional(), origin: z.looseObject({ type: z.string() }).optional() }).optional() }).optional(),
}).meta({ id: 'VonageStatusWebhook' });

export const inboundWebhookSchema = z.looseObject({
  channel: z.string(),
  message_uuid: z.string().min(1).max(100),
  to: vonageNumber,
  from: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  message_type: z.string(),
  text: z.string().optional(),
  button: z.looseObject({ payload: z.string().optional(), text: z.string().optional() }).optional(),
  reply: z.looseObject({ id: z.string().optional(), title: z.string().optional() }).optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
  context: z.looseObject({ message_uuid: z.string().optional() }).optional(),
}).meta({ id: 'VonageInboundWebhook' });

export type StatusWebhook = z.infer<typeof statusWebhookSchema>;
export type InboundWebhook = z.infer<typeof inboundWebhookSchema>;

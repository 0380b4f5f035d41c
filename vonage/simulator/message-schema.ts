// What Vonage's POST /v1/messages accepts for WhatsApp (reference/vonage.md §3),
// field by field, so a request our adapter builds wrongly fails here the way it
// would fail in production: 422 with invalid_parameters naming each field.
import { z } from 'zod';

const msisdn = z.string().regex(/^[1-9]\d{6,14}$/, 'must be 7–15 digits in E.164 without + or 00');
const url = z.url();

const common = {
  channel: z.literal('whatsapp'),
  to: msisdn,
  from: msisdn,
  client_ref: z.string().max(100).optional(),
  webhook_url: url.optional(),
  webhook_version: z.enum(['v0.1', 'v1']).optional(),
  context: z.object({ message_uuid: z.uuid() }).optional(),
  ttl: z.number().int().positive().optional(),
  trusted_recipient: z.boolean().optional(),
};

const media = (extensions: string[], withCaption: boolean) =>
  z.object({
    url: url.refine((value) => extensions.some((ext) => new URL(value).pathname.toLowerCase().endsWith(ext)), `must end in ${extensions.join(', ')}`),
    ...(withCaption ? { caption: z.string().max(3000).optional() } : {}),
  }).strict();

// Meta Cloud API template components inside `custom` (type "template").
const textParameter = z.object({ type: z.literal('text'), text: z.string().min(1).max(1024) }).strict();
const headerParameter = z.discriminatedUnion('type', [
  textParameter,
  z.object({ type: z.literal('image'), image: z.object({ link: url }).strict() }).strict(),
  z.object({ type: z.literal('video'), video: z.object({ link: url }).strict() }).strict(),
  z.object({ type: z.literal('document'), document: z.object({ link: url, filename: z.string().optional() }).strict() }).strict(),
  z.object({
    type: z.literal('location'),
    location: z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().optional(), address: z.string().optional() }).strict(),
  }).strict(),
]);
const component = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), parameters: z.array(headerParameter).length(1) }).strict(),
  z.object({ type: z.literal('body'), parameters: z.array(textParameter).min(1) }).strict(),
  z.object({
    type: z.literal('button'),
    sub_type: z.enum(['quick_reply', 'url']),
    index: z.string().regex(/^(\d|10)$/, 'must be "0" to "10"'),
    parameters: z.array(z.union([z.object({ type: z.literal('payload'), payload: z.string().min(1) }).strict(), textParameter])).length(1),
  }).strict(),
]);
const customTemplate = z.object({
  type: z.literal('template'),
  template: z.object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be lowercase letters, digits and underscores'),
    language: z.object({ policy: z.literal('deterministic'), code: z.string().regex(/^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/) }).strict(),
    components: z.array(component).optional(),
  }).strict(),
});

export const whatsappMessageSchema = z.discriminatedUnion('message_type', [
  z.object({ ...common, message_type: z.literal('text'), text: z.string().min(1).max(4096) }).strict(),
  z.object({ ...common, message_type: z.literal('image'), image: media(['.jpg', '.jpeg', '.png'], true) }).strict(),
  z.object({ ...common, message_type: z.literal('audio'), audio: media(['.aac', '.m4a', '.amr', '.mp3', '.opus'], false) }).strict(),
  z.object({ ...common, message_type: z.literal('video'), video: media(['.mp4', '.3gpp'], true) }).strict(),
  z.object({ ...common, message_type: z.literal('file'), file: z.object({ url, caption: z.string().max(3000).optional(), name: z.string().optional() }).strict() }).strict(),
  z.object({
    ...common,
    message_type: z.literal('template'),
    template: z.object({ name: z.string().min(1).max(512), parameters: z.array(z.string()).optional() }).strict(),
    whatsapp: z.object({ policy: z.literal('deterministic').optional(), locale: z.string().regex(/^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/, 'must be a locale like en_US or en-GB') }).strict(),
  }).strict(),
  z.object({
    ...common,
    message_type: z.literal('custom'),
    // Anything WhatsApp accepts passes through; a template is checked as Meta would check it.
    custom: z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
      if (value.type !== 'template') return;
      const result = customTemplate.safeParse(value);
      for (const issue of result.error?.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }),
  }).strict(),
]);

export type WhatsAppRequest = z.infer<typeof whatsappMessageSchema>;

export interface InvalidParameter {
  name: string;
  reason: string;
}

export function invalidParameters(error: z.ZodError): InvalidParameter[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ name: path ? `${path}.${key}` : key, reason: 'is not a known parameter' }));
    return [{ name: path || 'body', reason: issue.message }];
  });
}

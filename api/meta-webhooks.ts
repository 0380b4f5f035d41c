// POST /webhooks/meta: Meta's webhooks, for setups where they reach us (Vonage
// may not forward them). Signed by Meta with the app secret
// (X-Hub-Signature-256). Template status events go to the template's approval
// workflow, limit/quality/restriction events to the portfolio's warm-up
// governor, both as signals: the workflow decides what is new, duplicate or
// stale. user_preferences change consent. GET answers the subscription handshake.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem } from '../domain/problems.ts';
import { templateStatusFromMetaEvent, templateWorkflowId } from '../domain/template.ts';
import type { TemplatesRepository } from '../db/templates.ts';
import type { ContactsRepository } from '../db/contacts.ts';
import type { SendersRepository } from '../db/senders.ts';
import { limitEventFromMetaChange } from '../domain/meta-limit-events.ts';
import { portfolioObserved } from '../workflows/warmup-messages.ts';
import { warmupWorkflowId } from './warmups.ts';
import { normaliseWhatsAppNumber } from '../domain/phone-number.ts';
import { templateStatusUpdate, type TemplateStatusUpdate } from '../workflows/template-messages.ts';
import type { ApiMetrics } from './metrics.ts';
import { problemSchema, sendProblem } from './problem.ts';
import { keepRawJsonBody, type RawBodyRequest } from './raw-body.ts';

export interface MetaWebhookOptions {
  templates: TemplatesRepository;
  contacts: ContactsRepository;
  senders: SendersRepository;
  temporal: Client;
  /** Meta app secret; without it every event is refused. */
  appSecret: string | undefined;
  verifyToken: string | undefined;
  metrics: ApiMetrics;
}

const templateStatusValue = z.looseObject({
  event: z.string(),
  message_template_id: z.union([z.string(), z.number()]).transform(String),
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
  reason: z.string().nullable().optional(),
  other_info: z.looseObject({ title: z.string().optional() }).optional(),
});

const metaEvent = z.looseObject({
  object: z.string(),
  entry: z.array(z.looseObject({
    id: z.string(),
    time: z.number().optional(),
    changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
  })),
}).meta({ id: 'MetaWebhook' });

/** Meta stamps whole seconds (the event happened at most at the end of that second); tolerate milliseconds too. */
function eventTimeMs(time: number | undefined): number {
  if (time === undefined) return Date.now();
  return time > 1e11 ? time : time * 1000 + 999;
}

export function metaSignature(rawBody: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

function signatureMatches(header: string | undefined, rawBody: string, appSecret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(metaSignature(rawBody, appSecret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A person's "stop/resume marketing" choice made inside WhatsApp (Meta's user_preferences). */
const userPreferencesValue = z.looseObject({
  user_preferences: z.array(z.looseObject({
    wa_id: z.string(),
    category: z.string(),
    value: z.string(),
    timestamp: z.number().optional(),
    detail: z.string().optional(),
  })),
});

export const metaWebhookRoutes: FastifyPluginAsyncZod<MetaWebhookOptions> = async (app, { templates, contacts, senders, temporal, appSecret, verifyToken, metrics }) => {
  keepRawJsonBody(app);

  /** A limit, quality or restriction change → the portfolio's governor; 0 when no governor runs for it. */
  async function forwardLimitEvent(field: string, value: unknown, entryId: string, observedAtMs: number): Promise<number> {
    const event = limitEventFromMetaChange(field, value, entryId);
    if (!event) return 0;
    const number = event.displayPhoneNumber ? normaliseWhatsAppNumber(event.displayPhoneNumber) : undefined;
    const portfolioId = (number ? await senders.portfolioOf({ whatsappNumber: number }) : undefined) ?? await senders.portfolioOf({ wabaId: event.wabaId });
    if (!portfolioId) return 0;
    try {
      await temporal.workflow.getHandle(warmupWorkflowId(portfolioId)).signal(portfolioObserved, {
        ...(event.limit !== undefined ? { limit: event.limit } : {}),
        ...(event.quality ? { quality: event.quality } : {}),
        ...(event.restricted !== undefined ? { restricted: event.restricted } : {}),
        observedAtMs, source: 'webhook', event: event.event,
      });
      return 1;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return 0;
      throw error;
    }
  }

  /** Marketing stop/resume → the MARKETING scope, source provider-preference; the contact is created if unknown. */
  async function applyUserPreferences(value: unknown): Promise<number> {
    const parsed = userPreferencesValue.safeParse(value);
    if (!parsed.success) return 0;
    let applied = 0;
    for (const preference of parsed.data.user_preferences) {
      if (preference.category !== 'marketing_messages' || !['stop', 'resume'].includes(preference.value)) continue;
      const whatsappNumber = `+${preference.wa_id.replace(/^\+/, '')}`;
      if (!normaliseWhatsAppNumber(whatsappNumber)) continue;
      await contacts.upsertFromProvider(whatsappNumber, {
        scope: 'MARKETING',
        granted: preference.value === 'resume',
        source: 'provider-preference',
        proof: `WhatsApp user_preferences: marketing_messages ${preference.value}${preference.timestamp ? ` at ${new Date(preference.timestamp * 1000).toISOString()}` : ''}`,
        ...(preference.timestamp ? { effectiveAt: new Date(preference.timestamp * 1000) } : {}),
      });
      applied++;
    }
    return applied;
  }

  app.get('/webhooks/meta', {
    schema: {
      summary: 'Meta webhook subscription handshake',
      tags: ['webhooks'],
      querystring: z.object({ 'hub.mode': z.string(), 'hub.verify_token': z.string(), 'hub.challenge': z.string() }),
    },
  }, async (request, reply) => {
    const query = request.query;
    if (!verifyToken || query['hub.mode'] !== 'subscribe' || query['hub.verify_token'] !== verifyToken) {
      return sendProblem(reply, request, new Problem(403, 'forbidden', 'Forbidden', 'Unknown verify token.'));
    }
    return reply.type('text/plain').send(query['hub.challenge']);
  });

  app.post('/webhooks/meta', {
    schema: {
      summary: 'Meta events: template status, limit/quality/restriction, user preferences',
      description: 'Signed with the Meta app secret: X-Hub-Signature-256: sha256=<HMAC of the body>.',
      tags: ['webhooks'],
      body: metaEvent,
      response: { 200: z.object({ received: z.literal(true), forwarded: z.number().int() }), 401: problemSchema, 422: problemSchema },
    },
    preValidation: async (request, reply) => {
      const rawBody = (request as RawBodyRequest).rawBody ?? '';
      const header = request.headers['x-hub-signature-256'];
      if (!appSecret || !signatureMatches(typeof header === 'string' ? header : undefined, rawBody, appSecret)) {
        request.log.warn({ configured: Boolean(appSecret) }, 'meta webhook rejected');
        metrics.webhookReceipts.inc({ kind: 'meta', outcome: 'rejected' });
        metrics.webhookSignatureFailures.inc({ kind: 'meta' });
        return sendProblem(reply, request, new Problem(401, 'unauthorized', 'Unauthorized', 'Webhook signature rejected.'));
      }
    },
  }, async (request, reply) => {
    metrics.webhookReceipts.inc({ kind: 'meta', outcome: 'accepted' });
    let forwarded = 0;
    for (const entry of request.body.entry) {
      for (const change of entry.changes) {
        if (change.field === 'user_preferences') {
          forwarded += await applyUserPreferences(change.value);
          continue;
        }
        if (change.field !== 'message_template_status_update') {
          forwarded += await forwardLimitEvent(change.field, change.value, entry.id, eventTimeMs(entry.time));
          continue;
        }
        if (change.field !== 'message_template_status_update') continue;
        const value = templateStatusValue.safeParse(change.value);
        if (!value.success) continue;
        const template = await templates.findByProviderId(value.data.message_template_id);
        if (!template) {
          request.log.info({ providerTemplateId: value.data.message_template_id }, 'status for a template we do not know');
          continue;
        }
        const update: TemplateStatusUpdate = {
          status: templateStatusFromMetaEvent(value.data.event, value.data.other_info?.title),
          reason: value.data.reason && value.data.reason !== 'NONE' ? value.data.reason : value.data.other_info?.title ?? null,
          observedAtMs: eventTimeMs(entry.time),
          source: 'webhook',
        };
        try {
          await temporal.workflow.getHandle(templateWorkflowId(template.template_id)).signal(templateStatusUpdate, update);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          // No workflow watches it any more: keep the row true all the same.
          await templates.recordStatus(template.template_id, update.status, update.reason, new Date(update.observedAtMs));
        }
        forwarded++;
      }
    }
    return reply.send({ received: true, forwarded });
  });
};

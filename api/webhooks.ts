// Receivers for Vonage's signed webhooks. Order matters: verify the signature
// against the raw bytes (401 and nothing stored on any doubt), store the event
// idempotently, answer 200 at once, and only then apply it: a slow database
// write or workflow never makes Vonage wait or retry.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem } from '../domain/problems.ts';
import { inboundWebhookSchema, statusWebhookSchema } from '../domain/webhook-payloads.ts';
import type { SendersRepository } from '../db/senders.ts';
import type { WebhookEventsRepository } from '../db/webhook-events.ts';
import { verifyWebhook } from '../vonage/webhook-signature.ts';
import type { Reaction } from '../domain/inbound.ts';
import { problemSchema, sendProblem } from './problem.ts';
import { keepRawJsonBody, type RawBodyRequest } from './raw-body.ts';
import type { ApiMetrics } from './metrics.ts';

export interface WebhookRoutesOptions {
  senders: SendersRepository;
  events: WebhookEventsRepository;
  /** Runs the replies inbound events owe (STOP confirmations, auto-replies). */
  react: (eventId: string, reactions: Reaction[]) => Promise<void>;
  metrics: ApiMetrics;
}

interface VerifiedRequest extends RawBodyRequest {
  senderId?: string;
}

const webhookKind = (request: FastifyRequest) => (request.url.startsWith('/webhooks/vonage/inbound') ? 'inbound' : 'status');

const acknowledgement = z.object({ received: z.literal(true) }).meta({ id: 'WebhookAck' });

function unauthorised(request: FastifyRequest, reply: FastifyReply, metrics: ApiMetrics, reason: string, badSignature = false) {
  // The reason goes to the log only: telling callers which numbers are ours would help an attacker.
  request.log.warn({ reason }, 'webhook rejected');
  const kind = webhookKind(request);
  metrics.webhookReceipts.inc({ kind, outcome: 'rejected' });
  if (badSignature) metrics.webhookSignatureFailures.inc({ kind });
  return sendProblem(reply, request, new Problem(401, 'unauthorized', 'Unauthorized', 'Webhook signature rejected.'));
}

/**
 * How long a number's sender and signature secret are reused between webhooks: a busy campaign brings
 * thousands a second, each would otherwise read and decrypt the sender's row. A rotated secret or a
 * deleted sender takes effect within this time.
 */
const SIGNING_KEY_TTL_MS = 5_000;

/** Our number → its sender and webhook signature secret, read at most every few seconds. */
function signingKeys(senders: SendersRepository) {
  const cached = new Map<string, { senderId: string; signatureSecret: string | null; until: number }>();
  return async (whatsappNumber: string): Promise<{ senderId: string; signatureSecret: string | null } | undefined> => {
    const hit = cached.get(whatsappNumber);
    if (hit && hit.until > performance.now()) return hit;
    const senderId = await senders.findId({ whatsappNumber });
    if (!senderId) {
      cached.delete(whatsappNumber);
      return undefined;
    }
    const { signatureSecret } = await senders.credentials(senderId);
    // Only our own numbers are kept: the map holds at most one entry per sender.
    cached.set(whatsappNumber, { senderId, signatureSecret, until: performance.now() + SIGNING_KEY_TTL_MS });
    return { senderId, signatureSecret };
  };
}

export const vonageWebhookRoutes: FastifyPluginAsyncZod<WebhookRoutesOptions> = async (app, { senders, events, react, metrics }) => {
  keepRawJsonBody(app);
  const signingKeyOf = signingKeys(senders);

  /** Which of our numbers the event is about: the sender for a status, the recipient for an inbound message. */
  const verify = (numberField: 'from' | 'to') => async (request: FastifyRequest, reply: FastifyReply) => {
    const verified = request as VerifiedRequest;
    const number = (request.body as Record<string, unknown> | undefined)?.[numberField];
    if (typeof number !== 'string' || !/^\d{6,15}$/.test(number)) return unauthorised(request, reply, metrics, `no business number in "${numberField}"`);
    const key = await signingKeyOf(`+${number}`);
    if (!key) return unauthorised(request, reply, metrics, 'the number belongs to no sender');
    const { senderId, signatureSecret } = key;
    if (!signatureSecret) return unauthorised(request, reply, metrics, 'the sender has no signature secret');
    const verdict = verifyWebhook(request.headers.authorization, verified.rawBody ?? '', signatureSecret);
    if (!verdict.ok) return unauthorised(request, reply, metrics, verdict.reason, true);
    verified.senderId = senderId;
  };

  /** Every accepted receipt counts; the lag only for an event's first arrival (a retry's age is Vonage's back-off, not ours). */
  const stored = (kind: 'status' | 'inbound', providerTimestamp: string, isNew: boolean) => {
    metrics.webhookReceipts.inc({ kind, outcome: 'accepted' });
    if (isNew) metrics.webhookLag.observe({ kind }, Math.max(0, (Date.now() - Date.parse(providerTimestamp)) / 1000));
  };

  const applyLater = (request: FastifyRequest, eventId: string) => {
    // Applied whether or not the event is new: a replay also heals an event whose first application failed.
    setImmediate(() => {
      events.process(eventId)
        .then((reactions) => (reactions?.length ? react(eventId, reactions) : undefined))
        .catch((error: unknown) => request.log.error({ err: error, eventId }, 'applying webhook event failed'));
    });
  };

  const schema = <Body extends typeof statusWebhookSchema | typeof inboundWebhookSchema>(summary: string, body: Body) => ({
    summary,
    tags: ['webhooks'],
    description: 'Signed by Vonage: Authorization: Bearer <HS256 JWT> with the sender\'s signature secret and a payload_hash of the body.',
    body,
    response: { 200: acknowledgement, 400: problemSchema, 401: problemSchema, 422: problemSchema },
  });

  app.post('/webhooks/vonage/status', { schema: schema('Message status from Vonage', statusWebhookSchema), preValidation: verify('from') }, async (request, reply) => {
    const { senderId = null, rawBody = '' } = request as VerifiedRequest;
    const { eventId, isNew } = await events.record({ kind: 'status', senderId, rawBody, payload: request.body });
    stored('status', request.body.timestamp, isNew);
    if (isNew) metrics.messageStatuses.inc({ status: request.body.status });
    applyLater(request, eventId);
    return reply.send({ received: true });
  });

  app.post('/webhooks/vonage/inbound', { schema: schema('Inbound WhatsApp message from Vonage', inboundWebhookSchema), preValidation: verify('to') }, async (request, reply) => {
    const { senderId = null, rawBody = '' } = request as VerifiedRequest;
    const { eventId, isNew } = await events.record({ kind: 'inbound', senderId, rawBody, payload: request.body });
    stored('inbound', request.body.timestamp, isNew);
    applyLater(request, eventId);
    return reply.send({ received: true });
  });
};

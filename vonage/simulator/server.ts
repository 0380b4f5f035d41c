// A faithful local stand-in for the Vonage Messages API (WhatsApp), so every
// test and the embedded stack run against real HTTP with the real SDK:
// /v1/messages (auth, validation, 202 + message_uuid), signed status and
// inbound webhooks, the template manager, fault injection, and a control API
// under /_sim/ whose ledger of accepted messages is the ground truth for
// exactly-once checks. Wire contract: ../shared/reference/vonage.md.
import { createHmac, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { AccountRegistry, type AccountResolver, type SimAccount } from './accounts.ts';
import { invalidParameters, whatsappMessageSchema, type InvalidParameter, type WhatsAppRequest } from './message-schema.ts';
import { MetaPortfolios, scaledRules, tierName, type MetaChange, type PortfolioDefinition } from './meta-portfolios.ts';
import { seededRandom } from './prng.ts';
import { TemplateManager, templateStatuses, type SimTemplate, type TemplateRule, type TemplateStatus } from './templates.ts';
import { bearerToken } from '../webhook-signature.ts';
import { vonageRetryPolicy, WebhookSender, type RetryPolicy, type WebhookTarget } from './webhook-sender.ts';

export interface LedgerEntry {
  messageUuid: string;
  acceptedAt: string;
  auth: 'jwt' | 'basic';
  apiKey: string;
  to: string;
  from: string;
  clientRef?: string | undefined;
  messageType: string;
  /** The request body exactly as parsed. */
  request: WhatsAppRequest;
  /** Accepted, then the connection was dropped before the answer (the ambiguous case). */
  answerDropped: boolean;
  /** Meta refused it (the portfolio's messaging limit): its status webhook says rejected with this code. */
  metaRejection?: { code: string; detail: string } | undefined;
}

/** How a recipient's messages fare after acceptance. */
export interface RecipientScript {
  outcome: 'read' | 'delivered' | 'submitted' | 'rejected' | 'undeliverable';
  /** Vonage/Meta error code for rejected/undeliverable, e.g. "1300" (not a WhatsApp user). */
  errorCode?: string;
  errorDetail?: string;
  /** The recipient blocks or reports the business on receipt: negative feedback that lowers quality. */
  feedback?: 'block' | 'report' | undefined;
}

export interface Faults {
  /** Share of requests answered 500. */
  serverErrorRate: number;
  /** Share of requests answered 429. */
  throttleRate: number;
  /** Retry-After seconds on 429; absent = no header. */
  retryAfterSeconds?: number | undefined;
  /** Share of accepted messages whose answer is never sent (socket destroyed). */
  dropAfterAcceptRate: number;
  /** Added latency, uniform in [min, max] ms. */
  latencyMs: { min: number; max: number };
  seed: number;
}

export interface StatusDelays {
  submitted: number;
  delivered: number;
  read: number;
}

export interface SimulatorOptions {
  accounts?: SimAccount[];
  resolveAccount?: AccountResolver;
  statusDelaysMs?: Partial<StatusDelays>;
  webhookRetry?: Partial<RetryPolicy>;
  /** Whether accepted messages produce status webhooks (off for raw throughput runs). */
  statusWebhooks?: boolean;
  templateDecision?: TemplateRule;
  metaWebhook?: { url: string; appSecret: string };
  /** Bearer token the Graph API stand-in (/graph/...) accepts; unset = the Graph API refuses every call. */
  metaAccessToken?: string;
  /** Divides Meta's windows (24 h, 7 days, 6 h upgrade delay) for demos; 1 = real time. */
  timeScale?: number;
  /** Finds the portfolio of a business number not defined through /_sim/portfolios (npm start asks the senders table). */
  resolvePortfolio?: (number: string) => Promise<PortfolioDefinition | undefined>;
  logLevel?: string;
}

const noFaults: Faults = { serverErrorRate: 0, throttleRate: 0, dropAfterAcceptRate: 0, latencyMs: { min: 0, max: 0 }, seed: 1 };
const defaultDelays: StatusDelays = { submitted: 100, delivered: 500, read: 1500 };

const errorTypeBase = 'https://developer.vonage.com/api-errors/messages';

function problem(reply: FastifyReply, status: number, title: string, detail: string, extra: { code?: string; invalid_parameters?: InvalidParameter[] } = {}) {
  return reply.code(status).type('application/json').send({
    type: `${errorTypeBase}#${extra.code ?? status}`,
    title,
    detail,
    instance: randomUUID(),
    ...(extra.invalid_parameters ? { invalid_parameters: extra.invalid_parameters } : {}),
  });
}

const faultsSchema = z.object({
  serverErrorRate: z.number().min(0).max(1),
  throttleRate: z.number().min(0).max(1),
  retryAfterSeconds: z.number().min(0).nullable(),
  dropAfterAcceptRate: z.number().min(0).max(1),
  latencyMs: z.object({ min: z.number().min(0), max: z.number().min(0) }),
  seed: z.number().int(),
}).partial();

const recipientScriptSchema = z.object({
  outcome: z.enum(['read', 'delivered', 'submitted', 'rejected', 'undeliverable']),
  errorCode: z.string().regex(/^\d+$/).optional(),
  errorDetail: z.string().optional(),
  feedback: z.enum(['block', 'report']).optional(),
});

const limitSchema = z.union([z.number().int().positive(), z.null()]);
const portfolioSchema = z.object({
  wabaIds: z.array(z.string().regex(/^\d+$/)).min(1),
  numbers: z.array(z.string().regex(/^\+?\d{7,15}$/).transform((n) => n.replace(/^\+/, ''))).min(1),
  limit: limitSchema.optional(),
  quality: z.enum(['GREEN', 'YELLOW', 'RED']).optional(),
});

const inboundSchema = z.object({
  to: z.string().regex(/^\+?\d{7,15}$/),
  from: z.string().regex(/^\+?\d{7,15}$/),
  profileName: z.string().default('Simulated Customer'),
  text: z.string().min(1).optional(),
  button: z.object({ payload: z.string(), text: z.string() }).optional(),
  contextMessageUuid: z.uuid().optional(),
}).refine((body) => Boolean(body.text) !== Boolean(body.button), 'give exactly one of text or button');

const templateRuleSchema = z.object({
  namePattern: z.string().optional(),
  outcome: z.enum(['APPROVED', 'REJECTED']),
  reason: z.string().optional(),
  delayMs: z.number().int().min(0),
});

const errorDetails: Record<string, string> = {
  '1300': 'Not part of the provider network: the recipient is not a WhatsApp user',
  '1340': 'Outside of the allowed window',
  '1022': 'Invalid template',
  '1240': 'Illegal number: the recipient opted out',
  '131049': 'Not delivered to maintain healthy ecosystem engagement',
  '131048': 'Spam rate limit hit: the business has reached its messaging limit for now',
};

export class VonageSimulator {
  readonly app: FastifyInstance;
  readonly accounts: AccountRegistry;
  readonly webhooks: WebhookSender;
  readonly templates: TemplateManager;
  readonly ledger: LedgerEntry[] = [];
  readonly recipients = new Map<string, RecipientScript>();
  faults: Faults = structuredClone(noFaults);
  statusDelays: StatusDelays;
  statusWebhooks: boolean;
  /** Where Meta-shaped events (template status, limit, quality) go, signed with the Meta app secret; off when unset. */
  metaWebhook: { url: string; appSecret: string } | undefined;
  metaAccessToken: string | undefined;
  /** Meta's business portfolios: limits, unique-recipient counting, quality, upgrades. */
  readonly meta: MetaPortfolios;
  readonly #resolvePortfolio: SimulatorOptions['resolvePortfolio'];
  #resolvingPortfolios = new Map<string, Promise<void>>();
  readonly #timeScale: number;
  #random = seededRandom(noFaults.seed);
  #defaults: { retry: RetryPolicy; delays: StatusDelays };

  constructor(options: SimulatorOptions = {}) {
    this.accounts = new AccountRegistry(options.resolveAccount);
    for (const account of options.accounts ?? []) this.accounts.register(account);
    this.#defaults = { retry: { ...vonageRetryPolicy, ...options.webhookRetry }, delays: { ...defaultDelays, ...options.statusDelaysMs } };
    this.webhooks = new WebhookSender(this.#defaults.retry);
    this.statusDelays = { ...this.#defaults.delays };
    this.statusWebhooks = options.statusWebhooks ?? true;
    this.templates = new TemplateManager(options.templateDecision ?? { outcome: 'APPROVED', delayMs: 2_000 });
    this.templates.onStatusChange = (template, previous) => this.#emitMetaTemplateEvent(template, previous);
    this.metaWebhook = options.metaWebhook;
    this.metaAccessToken = options.metaAccessToken;
    this.#timeScale = options.timeScale ?? 1;
    this.meta = new MetaPortfolios({ rules: scaledRules(this.#timeScale), onChange: (change) => this.#emitMetaChange(change) });
    this.#resolvePortfolio = options.resolvePortfolio;
    this.app = Fastify({ logger: options.logLevel ? { level: options.logLevel } : false, bodyLimit: 1024 * 1024 });
    this.#routes();
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await this.app.listen({ port, host });
    const address = this.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('simulator has no TCP address');
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    this.webhooks.close();
    this.templates.reset();
    this.meta.reset();
    await this.app.close();
  }

  reset(): void {
    this.ledger.length = 0;
    this.recipients.clear();
    this.faults = structuredClone(noFaults);
    this.#random = seededRandom(noFaults.seed);
    this.statusDelays = { ...this.#defaults.delays };
    this.webhooks.clear();
    this.webhooks.policy = this.#defaults.retry;
    this.templates.reset();
    this.accounts.reset();
    this.meta.reset();
    // A resolution in flight belongs to the world before the reset: it must not define anything after it.
    this.#resolvingPortfolios = new Map();
  }

  #roll(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }

  async #latency(): Promise<void> {
    const { min, max } = this.faults.latencyMs;
    if (max <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, min + (max - min) * this.#random()));
  }

  #statusPlan(entry: LedgerEntry): { status: string; delay: number; error?: { code: string; detail: string } }[] {
    const script: RecipientScript = entry.metaRejection
      ? { outcome: 'rejected', errorCode: entry.metaRejection.code, errorDetail: entry.metaRejection.detail }
      : this.recipients.get(entry.to) ?? { outcome: 'read' };
    const d = this.statusDelays;
    const error = { code: script.errorCode ?? (script.outcome === 'rejected' ? '1300' : '1330'), detail: script.errorDetail ?? '' };
    error.detail ||= errorDetails[error.code] ?? 'Message could not be delivered';
    switch (script.outcome) {
      case 'read': return [{ status: 'submitted', delay: d.submitted }, { status: 'delivered', delay: d.delivered }, { status: 'read', delay: d.read }];
      case 'delivered': return [{ status: 'submitted', delay: d.submitted }, { status: 'delivered', delay: d.delivered }];
      case 'submitted': return [{ status: 'submitted', delay: d.submitted }];
      case 'rejected': return [{ status: 'rejected', delay: d.submitted, error }];
      case 'undeliverable': return [{ status: 'submitted', delay: d.submitted }, { status: 'undeliverable', delay: d.delivered, error }];
    }
  }

  #emitStatuses(entry: LedgerEntry, account: SimAccount): void {
    const url = entry.request.webhook_url ?? account.statusUrl;
    if (!this.statusWebhooks || !url) return;
    const target: WebhookTarget = { url, signatureSecret: account.signatureSecret, apiKey: account.apiKey, applicationId: account.applicationId };
    const conversationId = randomUUID().replaceAll('-', '');
    for (const step of this.#statusPlan(entry)) {
      const timestamp = new Date(Date.parse(entry.acceptedAt) + step.delay).toISOString();
      const payload = {
        message_uuid: entry.messageUuid,
        to: entry.to,
        from: entry.from,
        timestamp,
        status: step.status,
        channel: 'whatsapp',
        ...(entry.clientRef ? { client_ref: entry.clientRef } : {}),
        ...(step.status === 'delivered'
          ? { usage: { currency: 'EUR', price: '0.0333' }, whatsapp: { conversation: { id: conversationId, origin: { type: 'marketing' } } } }
          : {}),
        ...(step.error ? { error: { type: `${errorTypeBase}#${step.error.code}`, title: step.error.code, detail: step.error.detail } } : {}),
      };
      void this.webhooks.schedule(target, 'status', entry.messageUuid, step.status, payload, step.delay);
    }
  }

  /** Meta's message_template_status_update, as Meta would post it to a subscribed app. */
  #emitMetaTemplateEvent(template: SimTemplate, previous: TemplateStatus): void {
    const otherInfo = template.status === 'PAUSED' ? { title: 'FIRST_PAUSE', description: 'Paused for low quality' }
      : previous === 'PAUSED' && template.status === 'APPROVED' ? { title: 'UNPAUSE', description: 'Unpaused' } : undefined;
    this.#postToMeta(template.wabaId, 'message_template_status_update', {
      event: template.status,
      message_template_id: Number(template.id),
      message_template_name: template.name,
      message_template_language: template.language,
      reason: template.rejected_reason ?? 'NONE',
      ...(otherInfo ? { other_info: otherInfo } : {}),
    }, template.id, template.status);
  }

  /** A portfolio's limit or quality changed: the webhook change Meta would post (recorded under the WABA id). */
  #emitMetaChange(change: MetaChange): void {
    this.#postToMeta(change.wabaId, change.field, change.value, change.wabaId, change.field);
  }

  #postToMeta(wabaId: string, field: string, value: Record<string, unknown>, key: string, status: string): void {
    const target = this.metaWebhook;
    if (!target) return;
    // Meta stamps whole seconds; with an accelerated clock a second is hours, so the simulator stamps milliseconds.
    const time = this.#timeScale > 1 ? Date.now() : Math.floor(Date.now() / 1000);
    const payload = { object: 'whatsapp_business_account', entry: [{ id: wabaId, time, changes: [{ field, value }] }] };
    const sign = (body: string) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', target.appSecret).update(body).digest('hex')}` });
    void this.webhooks.schedule({ url: target.url, apiKey: 'meta', sign }, 'meta', key, status, payload);
  }

  /** Defines the portfolio of a number the first time it sends, if a resolver knows it; once, however many sends race. */
  async #knowPortfolioOf(number: string): Promise<void> {
    if (!this.#resolvePortfolio || this.meta.has(number)) return;
    let resolving = this.#resolvingPortfolios.get(number);
    if (!resolving) {
      const inFlight = this.#resolvingPortfolios;
      resolving = this.#resolvePortfolio(number).then((definition) => {
        if (definition && inFlight === this.#resolvingPortfolios && !this.meta.has(number)) this.meta.attach(definition, number);
      }).finally(() => inFlight.delete(number));
      inFlight.set(number, resolving);
    }
    await resolving;
  }

  #routes(): void {
    const app = this.app;

    app.post('/v1/messages', async (request, reply) => {
      await this.#latency();
      const auth = await this.accounts.authenticate(request.headers.authorization);
      if (!auth.ok) return problem(reply, 401, 'Unauthorized', auth.detail, { code: 'unauthorized' });
      const body = request.body as Record<string, unknown> | undefined;
      if (body?.channel !== 'whatsapp') {
        return problem(reply, 422, 'Unsupported channel', 'The simulator speaks WhatsApp only.', { code: '1400', invalid_parameters: [{ name: 'channel', reason: 'must be whatsapp' }] });
      }
      const parsed = whatsappMessageSchema.safeParse(body);
      if (!parsed.success) {
        return problem(reply, 422, 'Invalid params', 'Your request contained invalid parameters.', { code: '1020', invalid_parameters: invalidParameters(parsed.error) });
      }
      if (auth.account.numbers && !auth.account.numbers.includes(parsed.data.from)) {
        return problem(reply, 422, 'Invalid sender', `${parsed.data.from} is not a number of this account.`, { code: '1420' });
      }
      if (this.#roll(this.faults.throttleRate)) {
        if (this.faults.retryAfterSeconds !== undefined) reply.header('retry-after', String(this.faults.retryAfterSeconds));
        return problem(reply, 429, 'Rate Limit Hit', 'Please wait, then retry your request', { code: '1000' });
      }
      if (this.#roll(this.faults.serverErrorRate)) return problem(reply, 500, 'Internal error', 'An internal error occurred.', { code: '1030' });
      await this.#knowPortfolioOf(parsed.data.from);
      const admission = this.meta.admit(parsed.data.from, parsed.data.to, this.recipients.get(parsed.data.to)?.feedback);

      const entry: LedgerEntry = {
        messageUuid: randomUUID(),
        acceptedAt: new Date().toISOString(),
        auth: auth.mode,
        apiKey: auth.account.apiKey,
        to: parsed.data.to,
        from: parsed.data.from,
        clientRef: parsed.data.client_ref,
        messageType: parsed.data.message_type,
        request: parsed.data,
        answerDropped: this.#roll(this.faults.dropAfterAcceptRate),
        metaRejection: admission.rejection,
      };
      this.ledger.push(entry);
      this.#emitStatuses(entry, auth.account);
      if (entry.answerDropped) {
        request.raw.socket.destroy();
        return reply.hijack();
      }
      return reply.code(202).type('application/json').send({ message_uuid: entry.messageUuid });
    });

    app.patch<{ Params: { messageUuid: string } }>('/v1/messages/:messageUuid', async (request, reply) => {
      const auth = await this.accounts.authenticate(request.headers.authorization);
      if (!auth.ok) return problem(reply, 401, 'Unauthorized', auth.detail, { code: 'unauthorized' });
      const status = (request.body as { status?: unknown } | undefined)?.status;
      if (status !== 'read' && status !== 'revoked') return problem(reply, 422, 'Invalid params', 'status must be read or revoked', { invalid_parameters: [{ name: 'status', reason: 'must be read or revoked' }] });
      return reply.code(202).send();
    });

    this.templates.routes(app, this.accounts);
    this.#graphRoutes();
    this.#controlRoutes();
  }

  /**
   * The slice of Meta's Graph API the engine polls when Meta's webhooks do not
   * reach it: a WABA's phone numbers with their quality and the portfolio's
   * limit (whatsapp_business_manager_messaging_limit; the per-number
   * messaging_limit_tier is deprecated). Errors are Graph-shaped.
   */
  #graphRoutes(): void {
    const graphError = (reply: FastifyReply, status: number, code: number, type: string, message: string) =>
      reply.code(status).send({ error: { message, type, code, fbtrace_id: randomUUID().replaceAll('-', '').slice(0, 20) } });
    this.app.get<{ Params: { version: string; wabaId: string }; Querystring: { fields?: string } }>('/graph/:version/:wabaId/phone_numbers', async (request, reply) => {
      const token = bearerToken(request.headers.authorization);
      if (!this.metaAccessToken || token !== this.metaAccessToken) return graphError(reply, 401, 190, 'OAuthException', 'Invalid OAuth access token - Cannot parse access token');
      const found = this.meta.phoneNumbers(request.params.wabaId);
      if (!found) return graphError(reply, 400, 100, 'GraphMethodException', `Unsupported get request. Object with ID '${request.params.wabaId}' does not exist or cannot be loaded due to missing permissions.`);
      const wanted = request.query.fields?.split(',').map((field) => field.trim()).filter(Boolean);
      const data = found.numbers.map((number) => {
        const full: Record<string, unknown> = {
          verified_name: 'Simulated Business',
          display_phone_number: `+${number}`,
          quality_rating: found.quality,
          whatsapp_business_manager_messaging_limit: tierName(found.limit),
          status: 'CONNECTED',
        };
        const fields = wanted ?? ['verified_name', 'display_phone_number', 'quality_rating'];
        return { ...Object.fromEntries(fields.filter((field) => field in full).map((field) => [field, full[field]])), id: `1${number}` };
      });
      return { data, paging: { cursors: { before: 'QVFI', after: 'QVFI' } } };
    });
  }

  #controlRoutes(): void {
    const app = this.app;
    const invalid = (reply: FastifyReply, error: z.ZodError) => reply.code(400).send({ error: 'invalid control request', issues: error.issues });

    app.post('/_sim/accounts', async (request, reply) => {
      const body = request.body as SimAccount;
      if (typeof body?.apiKey !== 'string') return reply.code(400).send({ error: 'apiKey is required' });
      const { apiSecret: _secret, signatureSecret: _sig, ...visible } = this.accounts.register(body);
      return reply.code(201).send(visible);
    });

    app.put<{ Params: { number: string } }>('/_sim/recipients/:number', async (request, reply) => {
      const parsed = recipientScriptSchema.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      this.recipients.set(request.params.number.replace(/^\+/, ''), parsed.data);
      return reply.code(204).send();
    });

    app.get('/_sim/faults', async () => this.faults);
    app.put('/_sim/faults', async (request, reply) => {
      const parsed = faultsSchema.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      const { retryAfterSeconds, ...rest } = parsed.data;
      this.faults = { ...this.faults, ...rest, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds: retryAfterSeconds ?? undefined }) };
      if (rest.seed !== undefined) this.#random = seededRandom(rest.seed);
      return this.faults;
    });

    app.put('/_sim/status-delays', async (request, reply) => {
      const parsed = z.object({ submitted: z.number().min(0), delivered: z.number().min(0), read: z.number().min(0) }).partial().safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      this.statusDelays = { ...this.statusDelays, ...parsed.data };
      return this.statusDelays;
    });

    app.put('/_sim/webhook-retry', async (request, reply) => {
      const parsed = z.object({ initialDelayMs: z.number().min(0), maxDelayMs: z.number().min(0), maxAttempts: z.number().int().min(1) }).partial().safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      this.webhooks.policy = { ...this.webhooks.policy, ...parsed.data };
      return this.webhooks.policy;
    });

    app.get<{ Querystring: { to?: string; clientRef?: string } }>('/_sim/ledger', async (request) => {
      const to = request.query.to?.replace(/^\+/, '');
      const { clientRef } = request.query;
      return { messages: this.ledger.filter((m) => (!to || m.to === to) && (!clientRef || m.clientRef === clientRef)) };
    });

    app.get('/_sim/stats', async () => ({ accepted: this.ledger.length, webhookDeliveries: this.webhooks.scheduled }));

    app.get<{ Querystring: { messageUuid?: string } }>('/_sim/webhooks', async (request) => ({
      deliveries: this.webhooks.deliveries.filter((d) => !request.query.messageUuid || d.messageUuid === request.query.messageUuid),
    }));

    app.post('/_sim/inbound', async (request, reply) => {
      const parsed = inboundSchema.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      const { to, from, profileName, text, button, contextMessageUuid } = parsed.data;
      const ourNumber = to.replace(/^\+/, '');
      const account = await this.accounts.find({ number: ourNumber });
      if (!account?.inboundUrl) return reply.code(404).send({ error: `no account with an inbound URL owns ${to}` });
      this.meta.inbound(ourNumber, from.replace(/^\+/, ''));
      const messageUuid = randomUUID();
      const payload = {
        channel: 'whatsapp',
        message_uuid: messageUuid,
        to: ourNumber,
        from: from.replace(/^\+/, ''),
        timestamp: new Date().toISOString(),
        profile: { name: profileName },
        ...(text ? { message_type: 'text', text } : { message_type: 'button', button: { payload: button!.payload, text: button!.text, subtype: 'quick_reply' } }),
        ...(contextMessageUuid ? { context: { message_uuid: contextMessageUuid, message_from: ourNumber } } : {}),
        context_status: contextMessageUuid ? 'available' : 'none',
      };
      const delivery = await this.webhooks.schedule(
        { url: account.inboundUrl, signatureSecret: account.signatureSecret, apiKey: account.apiKey, applicationId: account.applicationId },
        'inbound', messageUuid, payload.message_type, payload,
      );
      return reply.code(delivery.outcome === 'delivered' ? 201 : 502).send({ messageUuid, delivery });
    });

    app.put('/_sim/meta-webhook', async (request, reply) => {
      const parsed = z.object({ url: z.url(), appSecret: z.string().min(1) }).nullable().safeParse(request.body ?? null);
      if (!parsed.success) return invalid(reply, parsed.error);
      this.metaWebhook = parsed.data ?? undefined;
      return reply.code(204).send();
    });

    app.put('/_sim/template-rules', async (request, reply) => {
      const parsed = z.object({ rules: z.array(templateRuleSchema) }).safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      this.templates.rules = parsed.data.rules;
      return { rules: this.templates.rules };
    });

    app.post<{ Params: { templateId: string } }>('/_sim/templates/:templateId/status', async (request, reply) => {
      const parsed = z.object({ status: z.enum(templateStatuses), reason: z.string().optional() }).safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      const template = this.templates.setStatus(request.params.templateId, parsed.data.status, parsed.data.reason);
      return template ? template : reply.code(404).send({ error: 'no such template' });
    });

    app.put<{ Params: { portfolioId: string } }>('/_sim/portfolios/:portfolioId', async (request, reply) => {
      const parsed = portfolioSchema.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      return this.meta.define({ id: request.params.portfolioId, ...parsed.data });
    });

    app.get<{ Params: { portfolioId: string } }>('/_sim/portfolios/:portfolioId', async (request, reply) =>
      this.meta.view(request.params.portfolioId) ?? reply.code(404).send({ error: 'no such portfolio' }));

    app.patch<{ Params: { portfolioId: string } }>('/_sim/portfolios/:portfolioId', async (request, reply) => {
      const parsed = portfolioSchema.pick({ limit: true, quality: true }).safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      return this.meta.set(request.params.portfolioId, parsed.data) ?? reply.code(404).send({ error: 'no such portfolio' });
    });

    app.put('/_sim/meta-access-token', async (request, reply) => {
      const parsed = z.object({ accessToken: z.string().min(1) }).nullable().safeParse(request.body ?? null);
      if (!parsed.success) return invalid(reply, parsed.error);
      this.metaAccessToken = parsed.data?.accessToken;
      return reply.code(204).send();
    });

    app.post('/_sim/reset', async (_request, reply) => {
      this.reset();
      return reply.code(204).send();
    });
  }
}

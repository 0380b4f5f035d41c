// Builds the HTTP API: one Fastify instance, one plugin per resource, zod
// schemas as the single source of validation and of the OpenAPI document.
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { SendersRepository } from '../db/senders.ts';
import { WebhookEventsRepository } from '../db/webhook-events.ts';
import type { Client } from '@temporalio/client';
import { pingDatabase, type Db } from '../db/database.ts';
import type { SecretBox } from '../db/secret-box.ts';
import { requireBearerToken } from './auth.ts';
import { healthRoutes } from './health.ts';
import { loggerOptions } from './logging.ts';
import { registerProblemHandlers } from './problem.ts';
import { senderRoutes } from './senders.ts';
import { vonageWebhookRoutes } from './webhooks.ts';
import { metaWebhookRoutes } from './meta-webhooks.ts';
import { templateRoutes } from './templates.ts';
import { contactRoutes } from './contacts.ts';
import { contactImportRoutes } from './contact-import.ts';
import { warmupRoutes } from './warmups.ts';
import { campaignRoutes } from './campaigns.ts';
import type { CampaignOptions } from '../workflows/campaign.ts';
import { CampaignsRepository } from '../db/campaigns.ts';
import { ContactsRepository } from '../db/contacts.ts';
import type { KeywordSettings, Reaction } from '../domain/inbound.ts';
import { startReactions } from './reactions.ts';
import { taskQueues } from '../domain/task-queues.ts';
import type { ApprovalTiming } from '../domain/template.ts';
import { TemplatesRepository } from '../db/templates.ts';
import { QuotaLedger } from '../db/quota.ts';
import { createApiMetrics, serveMetrics } from './metrics.ts';
import { dashboardRoutes } from './dashboard.ts';

export interface ApiDependencies {
  db: Db;
  secrets: SecretBox;
  /** Starts, signals and queries workflows; its connection is probed by /healthz. */
  temporal: Client;
  apiToken: string;
  /** Meta app secret and verify token for /webhooks/meta; unset = Meta events are refused. */
  meta?: { appSecret?: string | undefined; verifyToken?: string | undefined };
  /** Passed to every templateApproval workflow the API starts. */
  approvalTiming?: Partial<ApprovalTiming>;
  /** Opt-out/opt-in keywords and the confirmation text; the defaults otherwise. */
  keywords?: KeywordSettings;
  /** Passed to every warm-up governor the API starts: shortens its windows for demos (TIME_SCALE). */
  timeScale?: number;
  /** Passed to every campaign the API starts (e.g. the reconciliation deadline). */
  campaignOptions?: Partial<CampaignOptions>;
  /** Where the API starts workflows; the engine's queue unless a test isolates itself. */
  taskQueue?: string;
  logLevel?: string;
  /** The Temporal Web UI's base URL, for the dashboard's links to runs. */
  temporalUiUrl?: string | undefined;
  /** Where logs go; stdout when omitted. Tests pass a stream to inspect what was logged. */
  logStream?: Writable;
}

export const apiVersion = '1.0.0';

export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { ...loggerOptions(deps.logLevel ?? 'info'), ...(deps.logStream ? { stream: deps.logStream } : {}) },
    // A caller's x-request-id is kept when it is a sane token, so traces join up; anything else gets a fresh id.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'WhatsApp campaign engine API',
        version: apiVersion,
        description: 'Senders, templates, contacts and consent; starts and queries the engine\'s Temporal workflows. Errors are RFC 9457 problem+json.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, {
    checks: {
      database: () => pingDatabase(deps.db),
      temporal: async (deadlineMs) => {
        const { connection } = deps.temporal;
        await connection.withDeadline(deadlineMs, () => connection.workflowService.getSystemInfo({}));
      },
    },
  });

  const metrics = createApiMetrics(() => new QuotaLedger(deps.db).standings());
  serveMetrics(app, metrics, deps.apiToken);

  const senders = new SendersRepository(deps.db, deps.secrets);
  const events = new WebhookEventsRepository(deps.db, deps.keywords);
  const templates = new TemplatesRepository(deps.db);
  const contacts = new ContactsRepository(deps.db);
  const react = async (eventId: string, reactions: Reaction[]) => {
    await startReactions(deps.temporal, reactions, deps.taskQueue ?? taskQueues.engine);
    await events.markReacted(eventId);
  };
  await app.register(vonageWebhookRoutes, { senders, events, react, metrics });
  await app.register(metaWebhookRoutes, { templates, contacts, senders, temporal: deps.temporal, appSecret: deps.meta?.appSecret, verifyToken: deps.meta?.verifyToken, metrics });
  // Events stored but not applied (or whose replies were not handed over): after a crash, a failed
  // apply or Temporal being away. Finished at start, then every minute.
  const finishPending = () => (async () => {
    await events.processPending();
    for (const { eventId, reactions } of await events.pendingReactions()) await react(eventId, reactions);
  })().catch((error: unknown) => app.log.error({ err: error }, 'finishing pending webhook events failed'));
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    void finishPending();
    sweeper = setInterval(() => void finishPending(), 60_000).unref();
  });
  app.addHook('onClose', async () => clearInterval(sweeper));
  await app.register(dashboardRoutes, { db: deps.db, campaigns: new CampaignsRepository(deps.db), temporal: deps.temporal, apiToken: deps.apiToken, temporalUiUrl: deps.temporalUiUrl });
  await app.register(async (v1) => {
    requireBearerToken(v1, deps.apiToken);
    await v1.register(senderRoutes, { senders });
    await v1.register(contactRoutes, { contacts });
    await v1.register(contactImportRoutes, { db: deps.db });
    await v1.register(warmupRoutes, { senders, temporal: deps.temporal, taskQueue: deps.taskQueue ?? taskQueues.engine, timeScale: deps.timeScale ?? 1 });
    await v1.register(templateRoutes, { templates, senders, temporal: deps.temporal, taskQueue: deps.taskQueue ?? taskQueues.engine, ...(deps.approvalTiming ? { approvalTiming: deps.approvalTiming } : {}) });
    await v1.register(campaignRoutes, { campaigns: new CampaignsRepository(deps.db), templates, senders, temporal: deps.temporal, taskQueue: deps.taskQueue ?? taskQueues.engine, options: deps.campaignOptions ?? {} });
  });

  await app.ready();
  return app;
}

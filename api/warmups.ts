// /v1/warmups: start, read and steer the warm-up governor of a business
// portfolio (workflow warmup/<portfolioId>). The API holds no state of its
// own here: the workflow is the truth, read by query, steered by update.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { qualities, warmupStatuses, type MessagingLimit } from '../domain/messaging-limits.ts';
import { NotFoundProblem } from '../domain/problems.ts';
import type { SendersRepository } from '../db/senders.ts';
import { EngineStatus, PortfolioId, SenderNumber } from '../workflows/search-attributes.ts';
import type { warmupGovernor } from '../workflows/warmup-governor.ts';
import { controlWarmup, warmupState, type WarmupControl, type WarmupState } from '../workflows/warmup-messages.ts';
import { commonProblemResponses, problemSchema } from './problem.ts';
import { controlWorkflow } from './workflow-control.ts';

export interface WarmupRoutesOptions {
  senders: SendersRepository;
  temporal: Client;
  taskQueue: string;
  timeScale: number;
}

export const warmupWorkflowId = (portfolioId: string) => `warmup/${portfolioId}`;

const limit = z.union([z.number().int().positive(), z.literal('UNLIMITED')]).describe('Unique recipients per rolling 24 h, or UNLIMITED.');
const fromLimit = (value: z.infer<typeof limit> | undefined): MessagingLimit | undefined => value === undefined ? undefined : value === 'UNLIMITED' ? null : value;
const toLimit = (value: MessagingLimit): number | 'UNLIMITED' => (value === null ? 'UNLIMITED' : value);

const startWarmup = z.object({
  portfolioId: z.string().regex(/^\d{1,32}$/, 'must be a Meta business portfolio id (digits)'),
  currentLimit: limit.optional().describe('The limit Meta gives the portfolio now; default the first rung (250).'),
  targetLimit: limit.optional().describe('Warm at this rung; default 100000.'),
  quality: z.enum(qualities).optional(),
}).strict().meta({ id: 'StartWarmup' });

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

const warmupSchema = z.object({
  portfolioId: z.string(),
  workflowId: z.string(),
  status: z.enum(warmupStatuses),
  limit: limit,
  targetLimit: limit,
  quality: z.enum(qualities),
  restricted: z.boolean(),
  sendingAllowed: z.boolean(),
  allowance: z.union([z.number().int(), z.literal('UNLIMITED')]).describe('Unique recipients outside service windows the portfolio may reach in any rolling window now.'),
  heldBecause: z.string().nullable(),
  usage: z.object({ rollingWindow: z.number().int(), upgradeWindow: z.number().int(), measuredAt: z.iso.datetime() }),
  dayOnRung: z.number().int(),
  rungSince: z.iso.datetime(),
  nextRung: z.object({ limit: limit.nullable(), threshold: z.number().int().nullable(), eligible: z.boolean(), expectedAt: z.iso.datetime().nullable() }),
  senderNumbers: z.array(z.string()),
  history: z.array(z.object({ day: z.iso.datetime(), limit, quality: z.enum(qualities), allowance: z.union([z.number().int().min(0), z.literal('UNLIMITED')]), sendingAllowed: z.boolean(), used: z.number().int() })),
  startedAt: z.iso.datetime(),
}).meta({ id: 'Warmup' });

function present(state: WarmupState): z.infer<typeof warmupSchema> {
  return {
    portfolioId: state.portfolioId,
    workflowId: warmupWorkflowId(state.portfolioId),
    status: state.status,
    limit: toLimit(state.limit),
    targetLimit: toLimit(state.targetLimit),
    quality: state.quality,
    restricted: state.restricted || state.numbersRestricted === true,
    sendingAllowed: state.decision.sendingAllowed,
    allowance: toLimit(state.decision.allowance),
    heldBecause: state.decision.reason,
    usage: { rollingWindow: state.usage.window, upgradeWindow: state.usage.upgradeWindow, measuredAt: iso(state.usage.measuredAtMs)! },
    dayOnRung: state.dayOnRung,
    rungSince: iso(state.rungSinceMs)!,
    nextRung: {
      limit: state.outlook?.nextLimit === undefined ? null : toLimit(state.outlook.nextLimit),
      threshold: state.outlook?.threshold ?? null,
      eligible: state.outlook?.eligible ?? false,
      expectedAt: iso(state.outlook?.expectedAtMs),
    },
    senderNumbers: state.senderNumbers,
    history: state.history.map((day) => ({ day: iso(day.startedAtMs)!, limit: toLimit(day.limit), quality: day.quality, allowance: toLimit(day.allowance), sendingAllowed: day.sendingAllowed, used: day.used })),
    startedAt: iso(state.startedAtMs)!,
  };
}

export const warmupRoutes: FastifyPluginAsyncZod<WarmupRoutesOptions> = async (app, { senders, temporal, taskQueue, timeScale }) => {
  const tags = ['warmups'];
  const security = [{ bearerAuth: [] }];
  const params = z.object({ portfolioId: z.string().min(1).max(64) });

  const read = async (portfolioId: string) => {
    try {
      return present(await temporal.workflow.getHandle(warmupWorkflowId(portfolioId)).query(warmupState));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new NotFoundProblem('Warm-up of portfolio', portfolioId);
      throw error;
    }
  };

  app.post('/v1/warmups', {
    schema: {
      summary: 'Start the warm-up governor of a portfolio (idempotent: the running one is returned)',
      description: 'The governor becomes the portfolio\'s send authority: every campaign send takes quota from it.',
      tags, security, body: startWarmup,
      response: { 202: z.object({ portfolioId: z.string(), workflowId: z.string() }), ...commonProblemResponses },
    },
  }, async (request, reply) => {
    const { portfolioId, currentLimit, targetLimit, quality } = request.body;
    const senderNumbers = await senders.portfolioNumbers(portfolioId);
    const workflowId = warmupWorkflowId(portfolioId);
    await temporal.workflow.start<typeof warmupGovernor>('warmupGovernor', {
      workflowId,
      taskQueue,
      args: [{
        portfolioId, senderNumbers, timeScale,
        ...(fromLimit(currentLimit) !== undefined ? { currentLimit: fromLimit(currentLimit)! } : {}),
        ...(fromLimit(targetLimit) !== undefined ? { targetLimit: fromLimit(targetLimit)! } : {}),
        ...(quality ? { quality } : {}),
      }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Warm-up of business portfolio ${portfolioId}`,
      typedSearchAttributes: [
        { key: PortfolioId, value: portfolioId },
        { key: EngineStatus, value: 'WARMING' },
        ...(senderNumbers[0] ? [{ key: SenderNumber, value: senderNumbers[0] }] : []),
      ],
    });
    return reply.code(202).header('location', `/v1/warmups/${portfolioId}`).send({ portfolioId, workflowId });
  });

  app.get('/v1/warmups/:portfolioId', {
    schema: { summary: 'The governor\'s state: limit, quality, status, allowance, usage, history, next rung', tags, security, params, response: { 200: warmupSchema, 404: problemSchema, ...commonProblemResponses } },
  }, async (request) => read(request.params.portfolioId));

  for (const control of ['pause', 'resume', 'cancel'] as const satisfies WarmupControl[]) {
    app.post(`/v1/warmups/:portfolioId/${control}`, {
      schema: { summary: `${control[0]!.toUpperCase()}${control.slice(1)} the warm-up`, tags, security, params, response: { 200: warmupSchema, 404: problemSchema, 409: problemSchema, ...commonProblemResponses } },
    }, async (request) => {
      const { portfolioId } = request.params;
      await controlWorkflow(temporal, warmupWorkflowId(portfolioId), controlWarmup, control, { kind: 'Warm-up of portfolio', id: portfolioId });
      return read(portfolioId);
    });
  }
};

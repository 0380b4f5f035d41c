// /v1/campaigns: create (the row, then its workflow campaign/<campaignId>),
// list, read with live progress, pause/resume/cancel by update, and the
// per-recipient messages. The workflow writes the campaign's status; progress
// counts come from the messages and their status webhooks, so delivered and
// read keep counting after the sends are done.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CampaignsRepository, type Campaign } from '../db/campaigns.ts';
import type { SendersRepository } from '../db/senders.ts';
import type { TemplatesRepository } from '../db/templates.ts';
import {
  audienceSchema,
  campaignStatuses,
  campaignWorkflowId,
  createCampaignSchema,
  isCampaignFinal,
  operatorPauseReason,
  messageStates,
  type CampaignStatus,
  parameterSource,
  quietHoursSchema,
  scheduleSchema,
} from '../domain/campaign.ts';
import { ConflictProblem, ValidationProblem, type FieldError } from '../domain/problems.ts';
import { bodyParameterNames } from '../domain/template.ts';
import type { campaign, CampaignOptions } from '../workflows/campaign.ts';
import { controlCampaign, type CampaignControl } from '../workflows/campaign-messages.ts';
import { CampaignId, EngineStatus, SenderNumber, TemplateName } from '../workflows/search-attributes.ts';
import { commonProblemResponses, problemSchema } from './problem.ts';
import { controlWorkflow } from './workflow-control.ts';

export interface CampaignRoutesOptions {
  campaigns: CampaignsRepository;
  templates: TemplatesRepository;
  senders: SendersRepository;
  temporal: Client;
  taskQueue: string;
  /** Given to every campaign workflow started here. */
  options: Partial<CampaignOptions>;
}

const countsSchema = z.object({
  audience: z.number().int(), pending: z.number().int(), sent: z.number().int(), delivered: z.number().int(), read: z.number().int(),
  failed: z.number().int(), skipped: z.number().int(), ambiguous: z.number().int(),
  failedByReason: z.record(z.string(), z.number().int()), skippedByReason: z.record(z.string(), z.number().int()),
});

const campaignSchema = z.object({
  campaignId: z.uuid(),
  name: z.string(),
  senderId: z.uuid(),
  templateId: z.uuid(),
  audience: audienceSchema,
  parameters: z.union([z.array(parameterSource), z.record(z.string(), parameterSource)]).nullable(),
  schedule: scheduleSchema,
  ratePerSecond: z.number().int().nullable(),
  warmup: z.boolean(),
  quietHours: quietHoursSchema.nullable(),
  status: z.enum(campaignStatuses),
  statusReason: z.string().nullable(),
  workflowId: z.string().describe('The campaign workflow in the Temporal Web UI.'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  progress: countsSchema.optional(),
}).meta({ id: 'Campaign' });

const messageSchema = z.object({
  messageId: z.uuid().describe('Also the client_ref Vonage echoes.'),
  contactId: z.uuid(),
  recipient: z.string(),
  state: z.enum(messageStates),
  reason: z.string().nullable(),
  messageUuid: z.string().nullable(),
  deliveryStatus: z.string().nullable().describe('The latest status webhook: submitted, delivered, read, rejected, undeliverable.'),
  errorCode: z.string().nullable(),
  sentAt: z.iso.datetime().nullable(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'CampaignMessage' });

const params = z.object({ campaignId: z.uuid() });
const page = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(512).optional() });

export const campaignRoutes: FastifyPluginAsyncZod<CampaignRoutesOptions> = async (app, { campaigns, templates, senders, temporal, taskQueue, options }) => {
  const tags = ['campaigns'];
  const security = [{ bearerAuth: [] }];
  const withProgress = async (campaign: Campaign) => ({ ...campaign, progress: await campaigns.counts(campaign.campaignId) });

  app.post('/v1/campaigns', {
    schema: {
      summary: 'Create a campaign and start (or schedule) it',
      description: 'The template may be in any status: the campaign waits for its approval. Recipients are the audience\'s contacts with consent for the template\'s category, re-checked at send time.',
      tags, security, body: createCampaignSchema,
      response: { 201: campaignSchema, ...commonProblemResponses },
    },
  }, async (request, reply) => {
    const input = request.body;
    const sender = await senders.get(input.senderId).catch(() => undefined);
    const template = await templates.getRow(input.templateId).catch(() => undefined);
    const errors: FieldError[] = [];
    if (!sender) errors.push({ field: 'senderId', message: 'is not a sender' });
    if (!template) errors.push({ field: 'templateId', message: 'is not a template' });
    if (sender && input.warmup && !sender.portfolioId) errors.push({ field: 'warmup', message: 'needs a sender in a business portfolio (portfolioId), whose governor paces it' });
    if (sender && template && template.sender_id !== sender.senderId) {
      const owner = await senders.get(template.sender_id);
      if (!owner.wabaId || owner.wabaId !== sender.wabaId) errors.push({ field: 'templateId', message: 'belongs to another WhatsApp Business Account than the sender' });
    }
    if (template) {
      const names = bodyParameterNames(template.content.body.text);
      const mapping = input.parameters;
      if (Array.isArray(mapping) && mapping.length !== names.length) errors.push({ field: 'parameters', message: `the template has ${names.length} body parameter(s); give ${names.length} in order` });
      if (mapping && !Array.isArray(mapping)) {
        for (const name of names) if (!(name in mapping)) errors.push({ field: `parameters.${name}`, message: 'is a template parameter with no source' });
        for (const name of Object.keys(mapping)) if (!names.includes(name)) errors.push({ field: `parameters.${name}`, message: 'is not a parameter of the template' });
      }
      if (!mapping && names.length > 0) errors.push({ field: 'parameters', message: `the template needs ${names.length} body parameter(s): ${names.join(', ')}` });
    }
    if (errors.length > 0) throw new ValidationProblem(errors);

    const created = await campaigns.create(input, input.schedule.kind === 'now' ? 'WAITING_FOR_TEMPLATE' : 'SCHEDULED');
    const searchAttributes = [
      { key: CampaignId, value: created.campaignId },
      { key: TemplateName, value: template!.name },
      { key: SenderNumber, value: sender!.whatsappNumber },
      { key: EngineStatus, value: `campaign:${created.status}` },
    ];
    const args: Parameters<typeof campaign> = [{ campaignId: created.campaignId, ...(Object.keys(options).length > 0 ? { options } : {}) }];
    try {
      if (input.schedule.kind === 'recurring') {
        // Each firing starts campaign/<id>/run-<time>, which snapshots its own audience.
        await temporal.schedule.create({
          scheduleId: created.workflowId,
          spec: { cronExpressions: [input.schedule.cron], timezone: input.schedule.timeZone },
          action: { type: 'startWorkflow', workflowType: 'campaign', workflowId: `${created.workflowId}/run`, taskQueue, args, typedSearchAttributes: searchAttributes, staticSummary: `Campaign ${created.name}` },
          // A run still sending when the next is due: the next waits for it rather than overlapping.
          // A firing missed by more than an hour (Temporal down) is skipped, not sent days late.
          policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 hour' },
          state: { note: `Campaign ${created.name}` },
        });
      } else {
        await temporal.workflow.start<typeof campaign>('campaign', {
          workflowId: created.workflowId, taskQueue, args, staticSummary: `Campaign ${created.name}`, typedSearchAttributes: searchAttributes,
        });
      }
    } catch (error) {
      // Nothing half-written: a campaign no workflow or schedule runs is not left behind.
      await campaigns.delete(created.campaignId);
      if (error instanceof ScheduleAlreadyRunning) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (input.schedule.kind === 'recurring' && /cron/i.test(message)) throw new ValidationProblem([{ field: 'schedule.cron', message }]);
      throw error;
    }
    return reply.code(201).header('location', `/v1/campaigns/${created.campaignId}`).send(created);
  });

  app.get('/v1/campaigns', {
    schema: { summary: 'List campaigns, newest first', tags, security, querystring: page, response: { 200: z.object({ items: z.array(campaignSchema), nextCursor: z.string().nullable() }), ...commonProblemResponses } },
  }, async (request) => campaigns.list(request.query.limit, request.query.cursor));

  app.get('/v1/campaigns/:campaignId', {
    schema: { summary: 'A campaign with live progress (sent, delivered, read, failed and skipped by reason, pending)', tags, security, params, response: { 200: campaignSchema, 404: problemSchema, ...commonProblemResponses } },
  }, async (request) => withProgress(await campaigns.get(request.params.campaignId)));

  app.get('/v1/campaigns/:campaignId/messages', {
    schema: { summary: 'Per-recipient state, in audience order', tags, security, params, querystring: page, response: { 200: z.object({ items: z.array(messageSchema), nextCursor: z.string().nullable() }), 404: problemSchema, ...commonProblemResponses } },
  }, async (request) => {
    await campaigns.getRow(request.params.campaignId);
    return campaigns.messages(request.params.campaignId, request.query.limit, request.query.cursor);
  });

  for (const control of ['pause', 'resume', 'cancel'] as const satisfies CampaignControl[]) {
    app.post(`/v1/campaigns/:campaignId/${control}`, {
      schema: { summary: `${control[0]!.toUpperCase()}${control.slice(1)} the campaign`, description: 'A recurring campaign: pause and resume its schedule (and the run in progress); cancel deletes the schedule.', tags, security, params, response: { 200: campaignSchema, 404: problemSchema, 409: problemSchema, ...commonProblemResponses } },
    }, async (request) => {
      const { campaignId } = request.params;
      const row = await campaigns.getRow(campaignId);
      if (row.schedule.kind === 'recurring') {
        const status = await controlSchedule(row.status, campaignWorkflowId(campaignId), control);
        await campaigns.setStatus(campaignId, status, control === 'cancel' ? 'cancelled' : control === 'pause' ? operatorPauseReason : null);
        return withProgress(await campaigns.get(campaignId));
      }
      const status = await controlWorkflow(temporal, campaignWorkflowId(campaignId), controlCampaign, control, { kind: 'Campaign', id: campaignId });
      // The workflow records its new status as it acts on the control; answer with what it said.
      return { ...(await withProgress(await campaigns.get(campaignId))), status };
    });
  }

  /** A recurring campaign is steered through its schedule, and the run in progress (if any) with it. */
  async function controlSchedule(current: CampaignStatus, scheduleId: string, control: CampaignControl): Promise<CampaignStatus> {
    if (isCampaignFinal(current)) throw new ConflictProblem(`the campaign has ended (${current})`);
    const schedule = temporal.schedule.getHandle(scheduleId);
    const description = await schedule.describe();
    if (control === 'pause' && description.state.paused) throw new ConflictProblem('the campaign is already paused');
    if (control === 'resume' && !description.state.paused) throw new ConflictProblem('the campaign is not paused');
    if (control === 'pause') await schedule.pause(operatorPauseReason);
    else if (control === 'resume') await schedule.unpause('resumed by an operator');
    else await schedule.delete();
    for (const action of description.info.runningActions) {
      await controlWorkflow(temporal, action.workflow.workflowId, controlCampaign, control, { kind: 'Campaign run', id: action.workflow.workflowId }).catch(() => undefined);
    }
    return control === 'cancel' ? 'CANCELLED' : control === 'pause' ? 'PAUSED' : 'SCHEDULED';
  }
};

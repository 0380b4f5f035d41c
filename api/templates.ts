// /v1/templates: WhatsApp message templates, and their submission to Meta,
// which starts (or finds) the templateApproval workflow.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictProblem, ValidationProblem } from '../domain/problems.ts';
import {
  createTemplateSchema,
  templateProblems,
  templateSchema,
  templateStatuses,
  templateWorkflowId,
  type ApprovalTiming,
} from '../domain/template.ts';
import type { SendersRepository } from '../db/senders.ts';
import type { TemplatesRepository } from '../db/templates.ts';
import { EngineStatus, TemplateName } from '../workflows/search-attributes.ts';
import type { templateApproval } from '../workflows/template-approval.ts';
import { commonProblemResponses, problemSchema } from './problem.ts';

export interface TemplateRoutesOptions {
  templates: TemplatesRepository;
  senders: SendersRepository;
  temporal: Client;
  taskQueue: string;
  approvalTiming?: Partial<ApprovalTiming>;
}

const templateIdParams = z.object({ templateId: z.uuid() });
const listQuery = z.object({
  status: z.enum(templateStatuses).optional(),
  senderId: z.uuid().optional(),
  name: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});
const templateList = z.object({ items: z.array(templateSchema), nextCursor: z.string().nullable() }).meta({ id: 'TemplateList' });
const submission = z.object({ templateId: z.uuid(), workflowId: z.string(), status: z.enum(templateStatuses) }).meta({ id: 'TemplateSubmission' });

export const templateRoutes: FastifyPluginAsyncZod<TemplateRoutesOptions> = async (app, { templates, senders, temporal, taskQueue, approvalTiming }) => {
  const approvalRunning = async (templateId: string): Promise<boolean> => {
    try {
      return (await temporal.workflow.getHandle(templateWorkflowId(templateId)).describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };
  const tags = ['templates'];
  const security = [{ bearerAuth: [] }];

  app.post('/v1/templates', {
    schema: { summary: 'Create a template (a draft until submitted)', tags, security, body: createTemplateSchema, response: { 201: templateSchema, 409: problemSchema, ...commonProblemResponses } },
  }, async (request, reply) => {
    const problems = templateProblems(request.body);
    if (problems.length > 0) throw new ValidationProblem(problems);
    const template = await templates.create(request.body);
    return reply.code(201).header('location', `/v1/templates/${template.templateId}`).send(template);
  });

  app.get('/v1/templates', {
    schema: { summary: 'List templates', tags, security, querystring: listQuery, response: { 200: templateList, ...commonProblemResponses } },
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query;
    return templates.list(filter, limit, cursor);
  });

  app.get('/v1/templates/:templateId', {
    schema: { summary: 'Get a template and its latest known status', tags, security, params: templateIdParams, response: { 200: templateSchema, 404: problemSchema, ...commonProblemResponses } },
  }, async (request) => templates.get(request.params.templateId));

  app.delete('/v1/templates/:templateId', {
    schema: { summary: 'Delete a template that no approval workflow is watching', tags, security, params: templateIdParams, response: { 204: z.undefined(), 404: problemSchema, 409: problemSchema, ...commonProblemResponses } },
  }, async (request, reply) => {
    const { templateId } = request.params;
    if (await approvalRunning(templateId)) {
      throw new ConflictProblem(`Template ${templateId} is under review or in use: its approval workflow is running.`);
    }
    await templates.delete(templateId);
    return reply.code(204).send();
  });

  app.post('/v1/templates/:templateId/submit', {
    schema: {
      summary: 'Submit to Meta and wait for approval (idempotent: a second call returns the running workflow)',
      tags, security, params: templateIdParams,
      response: { 202: submission, 404: problemSchema, ...commonProblemResponses },
    },
  }, async (request, reply) => {
    const template = await templates.get(request.params.templateId);
    const { sender, credentials } = await senders.withCredentials(template.senderId);
    const missing = [
      ...(sender.wabaId ? [] : [{ field: 'senderId', message: 'the sender has no wabaId; Meta files templates under a WABA' }]),
      ...(credentials.applicationId && credentials.privateKey ? [] : [{ field: 'senderId', message: 'the sender needs an applicationId and privateKey: the template manager takes JWT only' }]),
    ];
    if (missing.length > 0) throw new ValidationProblem(missing);
    const workflowId = templateWorkflowId(template.templateId);
    try {
      await temporal.workflow.start<typeof templateApproval>('templateApproval', {
        workflowId,
        taskQueue,
        args: [{ templateId: template.templateId, templateName: template.name, ...(approvalTiming ? { timing: approvalTiming } : {}) }],
        // Submitting twice returns the run already in progress.
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Meta approval of template ${template.name} (${template.language}, ${template.category})`,
        typedSearchAttributes: [{ key: TemplateName, value: template.name }, { key: EngineStatus, value: 'template:SUBMITTING' }],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return reply.code(202).header('location', `/v1/templates/${template.templateId}`).send({ templateId: template.templateId, workflowId, status: (await templates.get(template.templateId)).status });
  });
};

// The WhatsApp template manager as Vonage proxies it (reference/vonage.md §9):
// /v2/whatsapp-manager/wabas/{waba}/templates, JWT only. New templates start
// PENDING and move to APPROVED or REJECTED (with Meta's reason) after a delay,
// by rules the control API sets; the control API can also force later states
// (PAUSED, DISABLED…) the way Meta changes them.
import { randomInt, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccountRegistry, SimAccount } from './accounts.ts';

export const templateStatuses = ['APPROVED', 'REJECTED', 'IN_APPEAL', 'PENDING', 'PENDING_DELETION', 'DELETED', 'DISABLED', 'PAUSED', 'LOCKED', 'LIMIT_EXCEEDED'] as const;
export type TemplateStatus = (typeof templateStatuses)[number];

export interface SimTemplate {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  components: unknown[];
  status: TemplateStatus;
  rejected_reason?: string;
}

export interface TemplateRule {
  /** Regular expression on the template name; absent = every template. */
  namePattern?: string;
  outcome: 'APPROVED' | 'REJECTED';
  reason?: string;
  delayMs: number;
}

const createTemplateBody = z.object({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be lowercase letters, digits and underscores, at most 512'),
  language: z.string().min(2).max(10),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
  components: z.array(z.record(z.string(), z.unknown())).min(1),
  allow_category_change: z.boolean().optional(),
  parameter_format: z.enum(['NAMED', 'POSITIONAL']).optional(),
}).superRefine((body, ctx) => {
  // Meta refuses {{named}} parameters unless the template says parameter_format NAMED.
  const text = JSON.stringify(body.components);
  if (/\{\{[a-z][a-z0-9_]*\}\}/.test(text) && body.parameter_format !== 'NAMED') {
    ctx.addIssue({ code: 'custom', path: ['parameter_format'], message: 'must be NAMED for named parameters' });
  }
});

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(25),
  after: z.string().optional(),
  name: z.string().optional(),
  status: z.enum(templateStatuses).optional(),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).optional(),
  language: z.string().optional(),
});

function managerError(reply: FastifyReply, status: number, title: string, detail: string) {
  return reply.code(status).type('application/json').send({ type: `https://developer.vonage.com/api-errors#${status}`, title, detail, instance_id: crypto.randomUUID() });
}

/** A tiny valid PNG, served at /_sim/media/sample.png as a header sample for tests and demos. */
export const samplePng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

export class TemplateManager {
  readonly templates = new Map<string, SimTemplate>();
  /** Media uploaded for header samples, by handle. */
  readonly uploads = new Map<string, { mimeType: string; bytes: number }>();
  rules: TemplateRule[] = [];
  /** Told of every status change (the simulator turns it into a Meta webhook when configured). */
  onStatusChange: ((template: SimTemplate, previous: TemplateStatus) => void) | undefined;
  #defaultRule: TemplateRule;
  #timers = new Set<NodeJS.Timeout>();

  constructor(defaultRule: TemplateRule) {
    this.#defaultRule = defaultRule;
  }

  #ruleFor(name: string): TemplateRule {
    return this.rules.find((rule) => !rule.namePattern || new RegExp(rule.namePattern).test(name)) ?? this.#defaultRule;
  }

  create(wabaId: string, body: z.infer<typeof createTemplateBody>): SimTemplate {
    const template: SimTemplate = {
      id: `${randomInt(100_000, 999_999)}${randomInt(100_000_000, 999_999_999)}`, // Meta-style 15-digit id
      wabaId,
      name: body.name,
      language: body.language,
      category: body.category,
      components: body.components,
      status: 'PENDING',
    };
    this.templates.set(template.id, template);
    const rule = this.#ruleFor(body.name);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (template.status === 'PENDING') this.setStatus(template.id, rule.outcome, rule.outcome === 'REJECTED' ? rule.reason ?? 'INVALID_FORMAT' : undefined);
    }, rule.delayMs);
    this.#timers.add(timer);
    return template;
  }

  setStatus(id: string, status: TemplateStatus, reason?: string): SimTemplate | undefined {
    const template = this.templates.get(id);
    if (!template) return undefined;
    const previous = template.status;
    template.status = status;
    if (reason === undefined) delete template.rejected_reason;
    else template.rejected_reason = reason;
    if (previous !== status) this.onStatusChange?.(template, previous);
    return template;
  }

  reset(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.templates.clear();
    this.uploads.clear();
    this.rules = [];
  }

  routes(app: FastifyInstance, accounts: AccountRegistry): void {
    const authorise = async (request: FastifyRequest<{ Params: { wabaId: string } }>, reply: FastifyReply): Promise<SimAccount | undefined> => {
      const auth = await accounts.authenticate(request.headers.authorization, false);
      if (!auth.ok) {
        await managerError(reply, 401, 'Unauthorized', auth.detail);
        return undefined;
      }
      if (auth.account.wabaIds && !auth.account.wabaIds.includes(request.params.wabaId)) {
        await managerError(reply, 403, 'Forbidden', `This application may not manage WABA ${request.params.wabaId}.`);
        return undefined;
      }
      return auth.account;
    };
    const base = '/v2/whatsapp-manager/wabas/:wabaId/templates';

    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.post<{ Querystring: { file_type?: string } }>('/v2/whatsapp-manager/media/uploads', async (request, reply) => {
      const auth = await accounts.authenticate(request.headers.authorization, false);
      if (!auth.ok) return managerError(reply, 401, 'Unauthorized', auth.detail);
      const fileType = request.query.file_type;
      if (!fileType || !/^(image\/(jpeg|png)|video\/(mp4|3gpp)|application\/pdf)$/.test(fileType)) {
        return managerError(reply, 400, 'Invalid parameters', 'file_type must be image/jpeg, image/png, video/mp4, video/3gpp or application/pdf');
      }
      let file: unknown = null;
      try {
        const form = await new Response(request.body as Buffer, { headers: { 'content-type': request.headers['content-type'] ?? '' } }).formData();
        file = form.get('mediafile');
      } catch {
        file = null;
      }
      if (!(file instanceof Blob) || file.size === 0) return managerError(reply, 400, 'Invalid parameters', 'multipart field mediafile is required');
      const handle = `4::${Buffer.from(randomUUID()).toString('base64url')}`;
      this.uploads.set(handle, { mimeType: fileType, bytes: file.size });
      return reply.send({ h: handle });
    });
    app.get('/_sim/media/sample.png', async (_request, reply) => reply.type('image/png').send(samplePng));

    app.post<{ Params: { wabaId: string } }>(base, async (request, reply) => {
      if (!(await authorise(request, reply))) return reply;
      const parsed = createTemplateBody.safeParse(request.body);
      if (!parsed.success) {
        return managerError(reply, 400, 'Invalid parameters', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      }
      // Like Meta: a media header's example must be a handle from the upload API, not a URL.
      const mediaHeader = parsed.data.components.find((c) => c.type === 'HEADER' && ['IMAGE', 'VIDEO', 'DOCUMENT'].includes(String(c.format)));
      const handle = (mediaHeader?.example as { header_handle?: unknown[] } | undefined)?.header_handle?.[0];
      if (mediaHeader && (typeof handle !== 'string' || !this.uploads.has(handle))) {
        return managerError(reply, 400, 'Invalid parameters', 'components.HEADER.example.header_handle must be a handle from /media/uploads');
      }
      const duplicate = [...this.templates.values()].some((t) => t.wabaId === request.params.wabaId && t.name === parsed.data.name && t.language === parsed.data.language && t.status !== 'DELETED');
      if (duplicate) return managerError(reply, 400, 'Duplicate template', `A template named ${parsed.data.name} in ${parsed.data.language} already exists.`);
      const template = this.create(request.params.wabaId, parsed.data);
      return reply.code(200).send({ id: template.id, status: template.status, category: template.category });
    });

    app.get<{ Params: { wabaId: string } }>(base, async (request, reply) => {
      if (!(await authorise(request, reply))) return reply;
      const parsed = listQuery.safeParse(request.query);
      if (!parsed.success) return managerError(reply, 400, 'Invalid parameters', parsed.error.message);
      const { limit, after, name, status, category, language } = parsed.data;
      const matching = [...this.templates.values()]
        .filter((t) => t.wabaId === request.params.wabaId && t.status !== 'DELETED')
        .filter((t) => (!name || t.name === name) && (!status || t.status === status) && (!category || t.category === category) && (!language || t.language === language))
        .sort((a, b) => a.id.localeCompare(b.id));
      const start = after ? matching.findIndex((t) => t.id > Buffer.from(after, 'base64url').toString()) : 0;
      const page = start < 0 ? [] : matching.slice(start, start + limit);
      const last = page.at(-1);
      const hasMore = start >= 0 && start + limit < matching.length;
      return reply.send({
        templates: page.map(({ wabaId: _waba, ...template }) => template),
        paging: { cursors: { before: page[0] ? Buffer.from(page[0].id).toString('base64url') : '', after: last ? Buffer.from(last.id).toString('base64url') : '' }, ...(hasMore ? { next: 'more' } : {}) },
      });
    });

    app.get<{ Params: { wabaId: string; templateId: string } }>(`${base}/:templateId`, async (request, reply) => {
      if (!(await authorise(request, reply))) return reply;
      const template = this.templates.get(request.params.templateId);
      if (!template || template.wabaId !== request.params.wabaId || template.status === 'DELETED') {
        return managerError(reply, 404, 'Not found', `Template ${request.params.templateId} does not exist.`);
      }
      const { wabaId: _waba, ...body } = template;
      return reply.send(body);
    });

    app.delete<{ Params: { wabaId: string }; Querystring: { name?: string; hsm_id?: string } }>(base, async (request, reply) => {
      if (!(await authorise(request, reply))) return reply;
      const { name, hsm_id: hsmId } = request.query;
      const targets = [...this.templates.values()].filter((t) => t.wabaId === request.params.wabaId && t.status !== 'DELETED' && (hsmId ? t.id === hsmId : t.name === name));
      if (targets.length === 0) return managerError(reply, 404, 'Not found', 'No such template.');
      for (const template of targets) template.status = 'DELETED';
      return reply.code(204).send();
    });
  }
}

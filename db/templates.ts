// Templates repository. The status columns mirror what the templateApproval
// workflow last learned from Meta; the workflow writes them through activities.
import { randomUUID } from 'node:crypto';
import { ConflictProblem, NotFoundProblem, ValidationProblem } from '../domain/problems.ts';
import { templateWorkflowId, type CreateTemplate, type Template, type TemplateStatus } from '../domain/template.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import type { Db } from './database.ts';
import type { TemplateRow } from './schema.ts';
import { FOREIGN_KEY_VIOLATION, hasCode, UNIQUE_VIOLATION } from './sql-errors.ts';

export interface TemplateFilter {
  status?: TemplateStatus | undefined;
  senderId?: string | undefined;
  name?: string | undefined;
}

export function toTemplate(row: TemplateRow): Template {
  return {
    templateId: row.template_id,
    senderId: row.sender_id,
    name: row.name,
    namespace: row.namespace,
    language: row.language,
    category: row.category as Template['category'],
    body: row.content.body,
    header: row.content.header ?? null,
    footer: row.content.footer ?? null,
    buttons: row.content.buttons ?? [],
    status: row.status,
    statusReason: row.status_reason,
    providerTemplateId: row.provider_template_id,
    workflowId: templateWorkflowId(row.template_id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    statusUpdatedAt: row.status_updated_at?.toISOString() ?? null,
  };
}

export class TemplatesRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(input: CreateTemplate): Promise<Template> {
    const now = new Date();
    try {
      const row = await this.#db
        .insertInto('templates')
        .values({
          template_id: randomUUID(),
          sender_id: input.senderId,
          name: input.name,
          namespace: input.namespace ?? null,
          language: input.language,
          category: input.category,
          content: JSON.stringify({ body: input.body, header: input.header, footer: input.footer, buttons: input.buttons }),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTemplate(row);
    } catch (error) {
      if (hasCode(error, UNIQUE_VIOLATION)) {
        throw new ConflictProblem(`This sender already has a template ${input.name} in ${input.language}.`, [{ field: 'name', message: 'is taken for this sender and language' }]);
      }
      if (hasCode(error, FOREIGN_KEY_VIOLATION)) throw new ValidationProblem([{ field: 'senderId', message: 'is not a sender' }]);
      throw error;
    }
  }

  async getRow(templateId: string): Promise<TemplateRow> {
    const row = await this.#db.selectFrom('templates').selectAll().where('template_id', '=', templateId).executeTakeFirst();
    if (!row) throw new NotFoundProblem('Template', templateId);
    return row;
  }

  async get(templateId: string): Promise<Template> {
    return toTemplate(await this.getRow(templateId));
  }

  async list(filter: TemplateFilter, limit: number, cursor?: string): Promise<{ items: Template[]; nextCursor: string | null }> {
    let query = this.#db.selectFrom('templates').selectAll().orderBy('created_at').orderBy('template_id').limit(limit + 1);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.senderId) query = query.where('sender_id', '=', filter.senderId);
    if (filter.name) query = query.where('name', '=', filter.name);
    if (cursor) {
      const after = decodeCursor(cursor);
      query = query.where((eb) => eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('template_id', '>', after.id)]),
      ]));
    }
    return pageOf(await query.execute(), limit, (row) => ({ createdAt: row.created_at, id: row.template_id }), toTemplate);
  }

  /** The caller makes sure no approval workflow still watches the template. */
  async delete(templateId: string): Promise<void> {
    const result = await this.#db.deleteFrom('templates').where('template_id', '=', templateId).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundProblem('Template', templateId);
  }

  async recordProviderId(templateId: string, providerTemplateId: string): Promise<void> {
    await this.#db.updateTable('templates').set({ provider_template_id: providerTemplateId, updated_at: new Date() }).where('template_id', '=', templateId).execute();
  }

  async recordStatus(templateId: string, status: TemplateStatus, reason: string | null, observedAt: Date): Promise<void> {
    await this.#db
      .updateTable('templates')
      .set({ status, status_reason: reason, status_updated_at: observedAt, updated_at: new Date() })
      .where('template_id', '=', templateId)
      // Activities may be retried out of order; an older observation never overwrites a newer one.
      .where((eb) => eb.or([eb('status_updated_at', 'is', null), eb('status_updated_at', '<=', observedAt)]))
      .execute();
  }

  async findByProviderId(providerTemplateId: string): Promise<TemplateRow | undefined> {
    return this.#db.selectFrom('templates').selectAll().where('provider_template_id', '=', providerTemplateId).executeTakeFirst();
  }
}

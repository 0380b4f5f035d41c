// Template activities: every call to Vonage's template manager and every write
// of a template's status. Idempotent by business key: submitting looks for the
// template by name before creating it, so a retry after a crash between
// "created at Meta" and "recorded here" finds the first one instead of
// creating a second.
import { ApplicationFailure } from '@temporalio/activity';
import { templateStatusFromProvider, toProviderComponents, type CreateTemplate, type TemplateStatus } from '../domain/template.ts';
import type { SendersRepository } from '../db/senders.ts';
import type { TemplatesRepository } from '../db/templates.ts';
import { VonageRequestError } from '../vonage/failures.ts';
import { createTemplateManagerClient, type TemplateManagerClient } from '../vonage/template-manager.ts';

export interface TemplateActivityDependencies {
  senders: SendersRepository;
  templates: TemplatesRepository;
  vonage: { apiHost: string; timeoutMs: number };
  /** Test seam: runs after the provider created a template and before we record it (crash simulation). */
  afterProviderCreate?: (templateId: string) => Promise<void>;
}

export interface ProviderVerdict {
  providerTemplateId: string;
  status: TemplateStatus;
  reason: string | null;
}

/** Vonage failures as Temporal sees them: permanent ones stop retries; a Retry-After sets the next delay. */
async function providerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof VonageRequestError)) throw error;
    // Template calls are safe to repeat (submission looks up by name first), so ambiguous = retryable here.
    throw ApplicationFailure.create({
      type: `Vonage.${error.verdict.class}`,
      message: error.message,
      nonRetryable: error.verdict.class === 'permanent',
      ...(error.verdict.retryAfterMs !== undefined ? { nextRetryDelay: error.verdict.retryAfterMs } : {}),
    });
  }
}

export function createTemplateActivities(deps: TemplateActivityDependencies) {
  async function clientFor(senderId: string): Promise<{ client: TemplateManagerClient; wabaId: string }> {
    const [sender, credentials] = await Promise.all([deps.senders.get(senderId), deps.senders.credentials(senderId)]);
    if (!sender.wabaId || !credentials.applicationId || !credentials.privateKey) {
      throw ApplicationFailure.nonRetryable(`Sender ${senderId} needs a WABA id, an application id and a private key to manage templates.`, 'TemplateSenderIncomplete');
    }
    const client = createTemplateManagerClient({ applicationId: credentials.applicationId, privateKey: credentials.privateKey }, deps.vonage);
    return { client, wabaId: sender.wabaId };
  }

  return {
    /** Creates the template at Meta unless it is already there; records and returns its provider id and status. */
    async submitTemplate(templateId: string): Promise<ProviderVerdict> {
      const row = await deps.templates.getRow(templateId);
      const { client, wabaId } = await clientFor(row.sender_id);
      const verdict = (found: { id: string; status: string; rejected_reason?: string | undefined }): ProviderVerdict => ({
        providerTemplateId: found.id,
        status: templateStatusFromProvider(found.status),
        reason: found.rejected_reason ?? null,
      });
      if (row.provider_template_id) return verdict(await providerCall(() => client.get(wabaId, row.provider_template_id!)));

      const existing = (await providerCall(() => client.list(wabaId, { name: row.name }))).templates.find((t) => t.language === row.language);
      if (existing) {
        await deps.templates.recordProviderId(templateId, existing.id);
        return verdict(existing);
      }
      const template: CreateTemplate = { senderId: row.sender_id, name: row.name, language: row.language, category: row.category as CreateTemplate['category'], ...row.content };
      const { components } = toProviderComponents(template);
      const created = await providerCall(() => client.create(wabaId, { name: row.name, language: row.language, category: template.category, components }));
      await deps.afterProviderCreate?.(templateId);
      await deps.templates.recordProviderId(templateId, created.id);
      return verdict(created);
    },

    async pollTemplateStatus(templateId: string): Promise<Omit<ProviderVerdict, 'providerTemplateId'>> {
      const row = await deps.templates.getRow(templateId);
      if (!row.provider_template_id) throw ApplicationFailure.nonRetryable(`Template ${templateId} was never submitted.`, 'TemplateNotSubmitted');
      const { client, wabaId } = await clientFor(row.sender_id);
      const found = await providerCall(() => client.get(wabaId, row.provider_template_id!));
      return { status: templateStatusFromProvider(found.status), reason: found.rejected_reason ?? null };
    },

    async recordTemplateStatus(templateId: string, status: TemplateStatus, reason: string | null, observedAtMs: number): Promise<void> {
      await deps.templates.recordStatus(templateId, status, reason, new Date(observedAtMs));
    },
  };
}

// Template activities: every call to Vonage's template manager and every write
// of a template's status. Idempotent by business key: submitting looks for the
// template by name before creating it, so a retry after a crash between
// "created at Meta" and "recorded here" finds the first one instead of
// creating a second.
import { ApplicationFailure } from '@temporalio/activity';
import { templateStatusFromProvider, toProviderComponents, type CreateTemplate, type TemplateStatus } from '../domain/template.ts';
import { NotFoundProblem } from '../domain/problems.ts';
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

/** Meta's "no reason" marker, and absence, are the same thing to us. */
const reasonOf = (reason: string | undefined): string | null => (reason && reason !== 'NONE' ? reason : null);

/** Vonage failures as Temporal sees them: permanent ones stop retries; a Retry-After sets the next delay. */
async function providerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NotFoundProblem) throw ApplicationFailure.nonRetryable(error.message, 'NotFound');
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

const MAX_SAMPLE_BYTES = 16 * 1024 * 1024;
const mimeByExtension: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4', '3gpp': 'video/3gpp', pdf: 'application/pdf' };

/**
 * Meta reviews a media header from a sample uploaded to its resumable-upload
 * API, referred to by handle. The business gives the sample as a URL; fetch it
 * and upload it (a 4xx for the sample is final, a 5xx worth retrying).
 */
async function headerHandle(client: TemplateManagerClient, header: CreateTemplate['header']): Promise<string | undefined> {
  if (!header || header.type === 'text' || header.type === 'location') return undefined;
  const response = await fetch(header.exampleUrl, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) {
    const message = `The header sample ${header.exampleUrl} answered ${response.status}.`;
    if (response.status < 500) throw ApplicationFailure.nonRetryable(message, 'HeaderSampleUnavailable');
    throw new Error(message);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_SAMPLE_BYTES) throw ApplicationFailure.nonRetryable(`The header sample is over ${MAX_SAMPLE_BYTES} bytes.`, 'HeaderSampleTooLarge');
  const extension = new URL(header.exampleUrl).pathname.split('.').pop()?.toLowerCase() ?? '';
  const mimeType = response.headers.get('content-type')?.split(';')[0]?.trim() || mimeByExtension[extension] || 'application/octet-stream';
  return providerCall(() => client.uploadMedia(bytes, mimeType));
}

/** Every page, exact match: Meta's name filter is not documented as exact, and a template may sit past page one. */
async function findByNameAndLanguage(client: TemplateManagerClient, wabaId: string, name: string, language: string) {
  let after: string | undefined;
  do {
    const page = await providerCall(() => client.list(wabaId, { name, language, limit: 500, ...(after ? { after } : {}) }));
    const match = page.templates.find((t) => t.name === name && t.language === language);
    if (match) return match;
    after = page.nextCursor;
  } while (after);
  return undefined;
}

export function createTemplateActivities(deps: TemplateActivityDependencies) {
  async function clientFor(senderId: string): Promise<{ client: TemplateManagerClient; wabaId: string }> {
    const { sender, credentials } = await providerCall(() => deps.senders.withCredentials(senderId));
    if (!sender.wabaId || !credentials.applicationId || !credentials.privateKey) {
      throw ApplicationFailure.nonRetryable(`Sender ${senderId} needs a WABA id, an application id and a private key to manage templates.`, 'TemplateSenderIncomplete');
    }
    const client = createTemplateManagerClient({ applicationId: credentials.applicationId, privateKey: credentials.privateKey }, deps.vonage);
    return { client, wabaId: sender.wabaId };
  }

  return {
    /** Creates the template at Meta unless it is already there; records and returns its provider id and status. */
    async submitTemplate(templateId: string): Promise<ProviderVerdict> {
      const row = await providerCall(() => deps.templates.getRow(templateId));
      const { client, wabaId } = await clientFor(row.sender_id);
      const verdict = (found: { id: string; status?: string | undefined; rejected_reason?: string | undefined }): ProviderVerdict => ({
        providerTemplateId: found.id,
        // Vonage documents only {id} for a create; a new template is PENDING.
        status: templateStatusFromProvider(found.status ?? 'PENDING'),
        reason: reasonOf(found.rejected_reason),
      });
      if (row.provider_template_id) return verdict(await providerCall(() => client.get(wabaId, row.provider_template_id!)));

      const existing = await findByNameAndLanguage(client, wabaId, row.name, row.language);
      if (existing) {
        // Meta keys templates by WABA, name and language; another of our rows may hold this one already.
        const holder = await deps.templates.findByProviderId(existing.id);
        if (holder && holder.template_id !== templateId) {
          throw ApplicationFailure.nonRetryable(`Meta already has ${row.name} (${row.language}) for this WABA, submitted as template ${holder.template_id}.`, 'TemplateNameTaken');
        }
        await deps.templates.recordProviderId(templateId, existing.id);
        return verdict(existing);
      }
      const template: CreateTemplate = { senderId: row.sender_id, name: row.name, language: row.language, category: row.category as CreateTemplate['category'], ...row.content };
      const { components, parameterFormat } = toProviderComponents(template, await headerHandle(client, template.header));
      const created = await providerCall(() => client.create(wabaId, {
        name: row.name, language: row.language, category: template.category, components,
        ...(parameterFormat === 'NAMED' ? { parameter_format: 'NAMED' as const } : {}),
      }));
      await deps.afterProviderCreate?.(templateId);
      await deps.templates.recordProviderId(templateId, created.id);
      return verdict(created);
    },

    async pollTemplateStatus(templateId: string): Promise<Omit<ProviderVerdict, 'providerTemplateId'>> {
      const row = await providerCall(() => deps.templates.getRow(templateId));
      if (!row.provider_template_id) throw ApplicationFailure.nonRetryable(`Template ${templateId} was never submitted.`, 'TemplateNotSubmitted');
      const { client, wabaId } = await clientFor(row.sender_id);
      const found = await providerCall(async () => {
        try {
          return await client.get(wabaId, row.provider_template_id!);
        } catch (error) {
          // Gone at Meta (deleted in WhatsApp Manager): that is a status, not a failure.
          if (error instanceof VonageRequestError && error.status === 404) return undefined;
          throw error;
        }
      });
      if (!found) return { status: 'DELETED', reason: 'deleted at Meta' };
      return { status: templateStatusFromProvider(found.status), reason: reasonOf(found.rejected_reason) };
    },

    async recordTemplateStatus(templateId: string, status: TemplateStatus, reason: string | null, observedAtMs: number): Promise<void> {
      await deps.templates.recordStatus(templateId, status, reason, new Date(observedAtMs));
    },
  };
}

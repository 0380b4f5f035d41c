// Client of Vonage's WhatsApp template manager (Meta's WABA templates API,
// proxied): create, get and list templates. The Node SDK has no client for it,
// so this calls it with fetch and an application JWT (the API takes JWT only).
// Failures are classified exactly like sends.
import { classifyVonageFailure } from '../domain/vonage-errors.ts';
import { failureFromResponse, toVonageRequestError, VonageRequestError } from './failures.ts';
import { createJwtSource } from './jwt-source.ts';

export interface TemplateComponent {
  type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS';
  [key: string]: unknown;
}

export interface NewProviderTemplate {
  name: string;
  language: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  components: TemplateComponent[];
  /** Meta needs it for {{named}} parameters; positional is the default. */
  parameter_format?: 'NAMED' | 'POSITIONAL';
}

export interface ProviderTemplate extends Omit<NewProviderTemplate, 'parameter_format'> {
  id: string;
  status: string;
  rejected_reason?: string;
}

export interface TemplateList {
  templates: ProviderTemplate[];
  /** Pass as `after` for the next page; undefined on the last page. */
  nextCursor: string | undefined;
}

export interface TemplateManagerClient {
  /** Uploads a header sample; Meta reviews media headers from the returned handle, not from a URL. */
  uploadMedia(bytes: Uint8Array, mimeType: string): Promise<string>;
  create(wabaId: string, template: NewProviderTemplate): Promise<{ id: string; status?: string }>;
  get(wabaId: string, templateId: string): Promise<ProviderTemplate>;
  list(wabaId: string, filter?: { name?: string; language?: string; status?: string; limit?: number; after?: string }): Promise<TemplateList>;
}

export function createTemplateManagerClient(
  credentials: { applicationId: string; privateKey: string },
  options: { apiHost: string; timeoutMs: number },
): TemplateManagerClient {
  const jwt = createJwtSource(credentials.applicationId, credentials.privateKey);
  const base = `${options.apiHost}/v2/whatsapp-manager/wabas`;

  async function call<T>(operation: string, path: string, init: RequestInit = {}, url = `${base}/${path}`): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: { authorization: `Bearer ${jwt.token()}`, accept: 'application/json', ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}) },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw await toVonageRequestError(operation, error);
    }
    if (!response.ok) {
      const { failure, code, explanation } = await failureFromResponse(response);
      throw new VonageRequestError(operation, classifyVonageFailure(failure), response.status, code, explanation);
    }
    try {
      return (await response.json()) as T;
    } catch {
      // Taken (2xx) but unreadable: safe to ask again, since creation looks up by name first.
      throw new VonageRequestError(operation, { class: 'ambiguous', reason: `answer ${response.status} was unreadable` }, response.status);
    }
  }

  return {
    async uploadMedia(bytes, mimeType) {
      const form = new FormData();
      form.set('mediafile', new Blob([bytes], { type: mimeType }), 'example');
      const url = `${options.apiHost}/v2/whatsapp-manager/media/uploads?file_type=${encodeURIComponent(mimeType)}`;
      const { h } = await call<{ h: string }>('media upload', '', { method: 'POST', body: form }, url);
      return h;
    },
    create: (wabaId, template) =>
      call('template create', `${encodeURIComponent(wabaId)}/templates`, { method: 'POST', body: JSON.stringify(template) }),
    get: (wabaId, templateId) => call('template get', `${encodeURIComponent(wabaId)}/templates/${encodeURIComponent(templateId)}`),
    async list(wabaId, filter = {}) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filter)) if (value !== undefined) query.set(key, String(value));
      const page = await call<{ templates: ProviderTemplate[]; paging?: { cursors?: { after?: string }; next?: string } }>(
        'template list', `${encodeURIComponent(wabaId)}/templates?${query.toString()}`,
      );
      return { templates: page.templates, nextCursor: page.paging?.next ? page.paging.cursors?.after : undefined };
    },
  };
}

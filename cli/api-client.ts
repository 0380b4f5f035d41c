// The one way the command line talks to the engine: its HTTP API, with the
// bearer token, JSON in and out, and RFC 9457 problems turned into errors
// that keep their title, detail and field errors.
export interface FieldError {
  field: string;
  message: string;
}

/** The API answered with an error (problem+json, or anything else non-2xx). */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;

  constructor(status: number, title: string, detail: string, errors: FieldError[] = [], requestId?: string) {
    super(`${status} ${title}: ${detail}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.requestId = requestId;
  }
}

/** No HTTP answer at all: connection refused, DNS, timeout. */
export class ApiUnreachable extends Error {
  readonly url: string;

  constructor(url: string, cause: unknown) {
    super(`no answer from ${url}: ${describeNetworkError(cause)}`, { cause });
    this.url = url;
  }
}

export function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export interface RequestOptions {
  json?: unknown;
  /** A raw body with its content type (e.g. a slice of CSV). */
  body?: { content: string | Uint8Array; contentType: string };
  query?: Record<string, string | number | undefined>;
  /** Send the bearer token (every /v1 route); default true. */
  auth?: boolean;
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

async function readProblem(response: Response): Promise<ApiProblem> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { title?: unknown; detail?: unknown; errors?: unknown; requestId?: unknown };
    if (typeof problem.title === 'string') {
      const errors = Array.isArray(problem.errors) ? (problem.errors as FieldError[]).filter((e) => typeof e?.field === 'string') : [];
      return new ApiProblem(response.status, problem.title, typeof problem.detail === 'string' ? problem.detail : '', errors, typeof problem.requestId === 'string' ? problem.requestId : undefined);
    }
  } catch {
    // Not JSON: a proxy's page, say. Its first words still help.
  }
  return new ApiProblem(response.status, response.statusText || 'HTTP error', text.trim().slice(0, 300));
}

export class ApiClient {
  readonly baseUrl: string;
  readonly token: string | undefined;

  constructor(baseUrl: string, token: string | undefined) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  /** Any answer, error statuses included (doctor reads them); throws only when nothing answered. */
  async fetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (options.auth !== false && this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      headers['content-type'] = options.body.contentType;
      body = options.body.content;
    }
    try {
      return await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    } catch (error) {
      throw new ApiUnreachable(url.origin, error);
    }
  }

  /** A 2xx answer's JSON body; any other answer throws an ApiProblem. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const response = await this.fetch(method, path, options);
    if (!response.ok) throw await readProblem(response);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options).then((r) => r.body);
  }

  post<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, ...(json !== undefined ? { json } : {}) }).then((r) => r.body);
  }
}

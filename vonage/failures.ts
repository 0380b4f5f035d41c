// Turns whatever a Vonage call threw (the SDK's VetchError, fetch's network
// errors, an abort on timeout) into our classification. The thrown SDK error
// carries the request config, Authorization header included, so it is read
// here and never attached, rethrown or logged.
import {
  classifyVonageFailure,
  errorCodeFromProblem,
  parseRetryAfter,
  type FailureVerdict,
  type VonageFailure,
} from '../domain/vonage-errors.ts';

export class VonageRequestError extends Error {
  readonly verdict: FailureVerdict;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(operation: string, verdict: FailureVerdict, status?: number, code?: string, explanation?: string) {
    super(`Vonage ${operation} failed: ${verdict.class}, ${verdict.reason}${explanation ? ` — ${explanation}` : ''}`);
    this.name = 'VonageRequestError';
    this.verdict = verdict;
    this.status = status;
    this.code = code;
  }
}

// Failures raised before a single byte of the request could reach the server.
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}

const ERROR_BODY_DEADLINE_MS = 2_000;

/** The error body, if it comes quickly: the SDK's timeout no longer runs once headers have arrived. */
async function readBody(response: Response): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      void response.body?.cancel().catch(() => undefined);
      resolve(undefined);
    }, ERROR_BODY_DEADLINE_MS);
  });
  try {
    const text = await Promise.race([response.text(), deadline]);
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The provider's own words about an error (title and detail of its problem body), for logs and reasons. */
function explanation(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { title, detail } = body as Record<string, unknown>;
  const text = [title, detail].filter((part) => typeof part === 'string' && part.length > 0).join(': ');
  return text ? text.slice(0, 300) : undefined;
}

/** A non-2xx HTTP answer. */
export async function failureFromResponse(response: Response): Promise<{ failure: VonageFailure; code: string | undefined; explanation: string | undefined }> {
  const body = await readBody(response);
  const code = errorCodeFromProblem(body);
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  return { failure: { kind: 'http', status: response.status, code, retryAfterSeconds }, code, explanation: explanation(body) };
}

export async function toVonageRequestError(operation: string, error: unknown): Promise<VonageRequestError> {
  if (error instanceof VonageRequestError) return error;
  const response = (error as { response?: unknown } | null)?.response;
  if (response instanceof Response) {
    // A 2xx whose body could not be read: Vonage accepted something we cannot correlate.
    if (response.ok) return new VonageRequestError(operation, { class: 'ambiguous', reason: `accepted (${response.status}) but the answer was unreadable` }, response.status);
    const { failure, code, explanation } = await failureFromResponse(response);
    return new VonageRequestError(operation, classifyVonageFailure(failure), response.status, code, explanation);
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new VonageRequestError(operation, classifyVonageFailure({ kind: 'timeout' }));
  }
  const code = causeCode(error);
  const requestSent = code === undefined || !notSentCodes.has(code);
  return new VonageRequestError(operation, classifyVonageFailure({ kind: 'network', requestSent, code }));
}

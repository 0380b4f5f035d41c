// What a failed Vonage call means for the engine, decided in one pure function
// so every caller (send activity, template client, tests) agrees:
// - retryable: nothing was sent, or the provider asked us to come back later;
// - permanent: retrying can never succeed for this recipient/request;
// - ambiguous: the request left and no answer came back; it may have been
//   delivered, so it is reconciled through client_ref and status webhooks,
//   never blindly resent.
// Codes: Vonage Messages API error catalogue (reference/vonage.md §4) and
// Meta Cloud API codes that Vonage passes through (reference/whatsapp.md §1.9).

export type FailureClass = 'retryable' | 'permanent' | 'ambiguous';

export type VonageFailure =
  /** The provider answered with a non-2xx status. `code` is the Vonage/Meta error code from the problem body, if any. */
  | { kind: 'http'; status: number; code?: string | undefined; retryAfterSeconds?: number | undefined }
  /** No usable answer. `requestSent` says whether the request may have reached the provider. */
  | { kind: 'network'; requestSent: boolean; code?: string | undefined }
  /** Our own timeout fired after the request was sent. */
  | { kind: 'timeout' };

export interface FailureVerdict {
  class: FailureClass;
  reason: string;
  /** When the provider said how long to wait (429 Retry-After). */
  retryAfterMs?: number;
}

/** Codes that mean "never for this recipient or this request", whatever the HTTP status. */
export const permanentErrorCodes: Readonly<Record<string, string>> = {
  '1020': 'invalid parameters',
  '1021': 'invalid tag',
  '1022': 'invalid template',
  '1040': 'invalid message',
  '1050': 'number barred',
  '1060': 'partner account barred',
  '1090': 'message too long',
  '1120': 'illegal sender',
  '1160': 'non-whitelisted destination',
  '1170': 'invalid or missing msisdn',
  '1190': 'absent subscriber (permanent)',
  '1240': 'recipient opted out',
  '1250': 'unroutable',
  '1270': 'age restriction',
  '1280': 'blocked by carrier',
  '1300': 'not a WhatsApp user',
  '1310': 'not a suitable device',
  '1320': 'message already sent',
  '1340': 'outside the 24 h customer service window',
  '1380': 'invalid resource',
  '1381': 'resource too large',
  '1382': 'invalid resource type',
  '1400': 'unsupported channel',
  '1410': 'invalid channel parameters',
  '1420': 'invalid sender',
  '1430': 'invalid recipient',
  '1440': 'invalid message type',
  '1450': 'invalid client reference',
  '131026': 'message undeliverable',
  '131047': 'outside the 24 h customer service window (re-engagement)',
  '131050': 'recipient stopped marketing messages',
  '132000': 'template parameter count mismatch',
  '132001': 'template does not exist in this language or is not approved',
};

/** Codes that mean "not now": the same request may succeed later. */
export const temporaryErrorCodes: Readonly<Record<string, string>> = {
  '1000': 'throttled',
  '1030': 'internal error',
  '1070': 'partner quota exceeded',
  '1100': 'communication failed',
  '1180': 'absent subscriber (temporary)',
  '1220': 'handset busy',
  '1230': 'network error',
  '1241': 'too many send requests',
  '1260': 'destination unreachable',
  '1330': 'unknown provider error',
  '1331': 'provider error',
  '131049': 'per-user marketing limit (Meta asks to retry later)',
  '131048': 'spam rate limit: the number may not send more for now (quality or messaging limit)',
  '130429': 'Meta throughput limit reached',
  '131056': 'too many messages to this recipient in a short time (pair rate limit)',
  '131057': 'business account in maintenance mode',
};

export function classifyVonageFailure(failure: VonageFailure): FailureVerdict {
  if (failure.kind === 'timeout') {
    return { class: 'ambiguous', reason: 'timed out after the request was sent' };
  }
  if (failure.kind === 'network') {
    return failure.requestSent
      ? { class: 'ambiguous', reason: `connection lost after the request was sent (${failure.code ?? 'unknown'})` }
      : { class: 'retryable', reason: `request never reached the provider (${failure.code ?? 'unknown'})` };
  }
  const { status, code } = failure;
  if (code !== undefined && permanentErrorCodes[code]) return { class: 'permanent', reason: `${code}: ${permanentErrorCodes[code]}` };
  if (status === 429) {
    const verdict: FailureVerdict = { class: 'retryable', reason: 'throttled (429)' };
    if (failure.retryAfterSeconds !== undefined && Number.isFinite(failure.retryAfterSeconds) && failure.retryAfterSeconds >= 0) {
      verdict.retryAfterMs = failure.retryAfterSeconds * 1000;
    }
    return verdict;
  }
  // The status decides for these, whatever code rides along (the spec's own 422 examples carry odd anchors).
  if (status === 401) return { class: 'permanent', reason: 'credentials rejected (401)' };
  if (status === 402) return { class: 'permanent', reason: 'account balance too low (402)' };
  if (status === 422) return { class: 'permanent', reason: `request rejected as invalid (422${code ? `, ${code}` : ''})` };
  if (code !== undefined && temporaryErrorCodes[code]) return { class: 'retryable', reason: `${code}: ${temporaryErrorCodes[code]}` };
  if (status >= 500) return { class: 'retryable', reason: `provider error (${status})` };
  if (status === 408) return { class: 'retryable', reason: 'provider timed out reading the request (408)' };
  return { class: 'permanent', reason: `unexpected answer (${status})` };
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

/** The error code inside a Vonage problem body: `title` in webhooks, the `#anchor` of `type` in API errors. */
export function errorCodeFromProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { type, title, code } = body as Record<string, unknown>;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  if (typeof title === 'string' && /^\d+$/.test(title)) return title;
  if (typeof type === 'string') {
    const anchor = /#(\d+)$/.exec(type);
    if (anchor) return anchor[1];
  }
  return undefined;
}

import { describe, expect, it } from 'vitest';
import { classifyVonageFailure, errorCodeFromProblem, parseRetryAfter, type FailureClass, type VonageFailure } from '../../domain/vonage-errors.ts';

describe('classifyVonageFailure', () => {
  it.each<[string, VonageFailure, FailureClass, number?]>([
    ['429 with Retry-After', { kind: 'http', status: 429, code: '1000', retryAfterSeconds: 3 }, 'retryable', 3000],
    ['429 without Retry-After', { kind: 'http', status: 429 }, 'retryable'],
    ['500 internal error', { kind: 'http', status: 500, code: '1030' }, 'retryable'],
    ['502 from a proxy, no body', { kind: 'http', status: 502 }, 'retryable'],
    ['503', { kind: 'http', status: 503 }, 'retryable'],
    ['408', { kind: 'http', status: 408 }, 'retryable'],
    ['401 bad credentials', { kind: 'http', status: 401 }, 'permanent'],
    ['402 low balance', { kind: 'http', status: 402 }, 'permanent'],
    ['422 invalid params', { kind: 'http', status: 422, code: '1020' }, 'permanent'],
    ['422 invalid sender', { kind: 'http', status: 422, code: '1420' }, 'permanent'],
    ['not a WhatsApp user', { kind: 'http', status: 422, code: '1300' }, 'permanent'],
    ['opted out', { kind: 'http', status: 422, code: '1240' }, 'permanent'],
    ['outside the 24 h window', { kind: 'http', status: 422, code: '1340' }, 'permanent'],
    ['invalid template', { kind: 'http', status: 422, code: '1022' }, 'permanent'],
    ['Meta re-engagement window', { kind: 'http', status: 400, code: '131047' }, 'permanent'],
    ['Meta marketing opt-out', { kind: 'http', status: 400, code: '131050' }, 'permanent'],
    ['Meta per-user marketing limit', { kind: 'http', status: 400, code: '131049' }, 'retryable'],
    ['Meta spam rate limit (messaging limit reached)', { kind: 'http', status: 400, code: '131048' }, 'retryable'],
    ['a permanent code wins over 5xx', { kind: 'http', status: 500, code: '1300' }, 'permanent'],
    ['422 stays permanent whatever code rides along', { kind: 'http', status: 422, code: '1100' }, 'permanent'],
    ['Meta throughput limit', { kind: 'http', status: 400, code: '130429' }, 'retryable'],
    ['Meta pair rate limit', { kind: 'http', status: 400, code: '131056' }, 'retryable'],
    ['absent subscriber (temporary)', { kind: 'http', status: 400, code: '1180' }, 'retryable'],
    ['unknown 4xx', { kind: 'http', status: 404 }, 'permanent'],
    ['connection refused', { kind: 'network', requestSent: false, code: 'ECONNREFUSED' }, 'retryable'],
    ['DNS failure', { kind: 'network', requestSent: false, code: 'ENOTFOUND' }, 'retryable'],
    ['socket closed after sending', { kind: 'network', requestSent: true, code: 'UND_ERR_SOCKET' }, 'ambiguous'],
    ['reset after sending', { kind: 'network', requestSent: true, code: 'ECONNRESET' }, 'ambiguous'],
    ['our timeout', { kind: 'timeout' }, 'ambiguous'],
  ])('%s → %s', (_name, failure, expected, retryAfterMs) => {
    const verdict = classifyVonageFailure(failure);
    expect(verdict.class).toBe(expected);
    expect(verdict.retryAfterMs).toBe(retryAfterMs);
    expect(verdict.reason.length).toBeGreaterThan(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 24, 12, 0, 0);
  it.each<[string | null, number | undefined]>([
    ['5', 5],
    ['0', 0],
    ['1.5', 1.5],
    [new Date(now + 30_000).toUTCString(), 30],
    [new Date(now - 30_000).toUTCString(), 0],
    ['soon', undefined],
    [null, undefined],
  ])('%j → %j', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });
});

describe('errorCodeFromProblem', () => {
  it.each<[unknown, string | undefined]>([
    [{ type: 'https://developer.vonage.com/api-errors/messages#1020', title: 'Invalid params' }, '1020'],
    [{ type: 'https://developer.vonage.com/api-errors/messages#1300', title: '1300', detail: 'x' }, '1300'],
    [{ code: 131047 }, '131047'],
    [{ type: 'https://developer.vonage.com/api-errors#unauthorized', title: 'Unauthorized' }, undefined],
    ['not an object', undefined],
    [null, undefined],
  ])('%j → %j', (body, code) => {
    expect(errorCodeFromProblem(body)).toBe(code);
  });
});

// How thrown errors from the SDK or fetch become verdicts (vonage/failures.ts).
import { describe, expect, it } from 'vitest';
import { toVonageRequestError } from '../../vonage/failures.ts';

const sdkError = (response: Response) => Object.assign(new Error('Request failed'), { response, config: { headers: { Authorization: 'Bearer secret-token' } } });

describe('toVonageRequestError', () => {
  it('a 2xx whose body could not be decoded is ambiguous: Vonage took something', async () => {
    const error = await toVonageRequestError('send', sdkError(new Response('{"message_uu', { status: 202, headers: { 'content-type': 'application/json' } })));
    expect(error.verdict.class).toBe('ambiguous');
  });

  it('reads the code and Retry-After from an error answer, and never keeps the request config', async () => {
    const response = new Response(JSON.stringify({ type: 'https://developer.vonage.com/api-errors/messages#1000', title: 'Rate Limit Hit' }), { status: 429, headers: { 'retry-after': '4' } });
    const error = await toVonageRequestError('send', sdkError(response));
    expect(error).toMatchObject({ status: 429, code: '1000', verdict: { class: 'retryable', retryAfterMs: 4000 } });
    expect(JSON.stringify(error)).not.toContain('secret-token');
    expect(error.cause).toBeUndefined();
  });

  it('does not wait forever for an error body that never ends', async () => {
    const stalled = new ReadableStream({ start() {} }); // never enqueues, never closes
    const started = Date.now();
    const error = await toVonageRequestError('send', sdkError(new Response(stalled, { status: 500 })));
    expect(error.verdict.class).toBe('retryable');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('an abort is our timeout: ambiguous; a refused connection never left: retryable', async () => {
    expect((await toVonageRequestError('send', new DOMException('aborted', 'AbortError'))).verdict.class).toBe('ambiguous');
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect((await toVonageRequestError('send', refused)).verdict.class).toBe('retryable');
    const unknown = new TypeError('fetch failed');
    expect((await toVonageRequestError('send', unknown)).verdict.class).toBe('ambiguous');
  });
});

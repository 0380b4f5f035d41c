import { createHmac, generateKeyPairSync } from 'node:crypto';
import { tokenGenerate } from '@vonage/jwt';
import { describe, expect, it } from 'vitest';
import { sha256Hex, signWebhook, verifyWebhook } from '../../vonage/webhook-signature.ts';

const secret = 'sig-secret-for-tests';
const body = JSON.stringify({ message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', status: 'delivered' });
const now = Date.UTC(2026, 10, 24, 12, 0, 0);
const bearer = (token: string) => `Bearer ${token}`;

function hs256(claims: Record<string, unknown>, key: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const unsigned = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

describe('webhook signatures', () => {
  it('accepts a webhook signed as Vonage signs it', () => {
    const verdict = verifyWebhook(bearer(signWebhook(body, secret, { apiKey: 'abcd1234', applicationId: 'app-1' }, now)), body, secret, now + 1000);
    expect(verdict).toMatchObject({ ok: true, claims: { iss: 'Vonage', api_key: 'abcd1234', application_id: 'app-1', payload_hash: sha256Hex(body) } });
  });

  it.each<[string, RegExp, () => [string | undefined, string]]>([
    ['a tampered body', /payload_hash/, () => [bearer(signWebhook(body, secret, {}, now)), body.replace('delivered', 'read')]],
    ['the wrong secret', /signature/, () => [bearer(signWebhook(body, 'another-secret', {}, now)), body]],
    ['an iat older than 5 minutes', /stale/, () => [bearer(signWebhook(body, secret, {}, now - 301_000)), body]],
    ['an iat far in the future', /future/, () => [bearer(signWebhook(body, secret, {}, now + 600_000)), body]],
    ['no Authorization header', /missing bearer/, () => [undefined, body]],
    ['a Basic header', /missing bearer/, () => ['Basic YWJjOmRlZg==', body]],
    ['a token without payload_hash', /payload_hash/, () => [bearer(hs256({ iat: now / 1000, jti: 'j', iss: 'Vonage' }, secret)), body]],
    ['a token without iat', /missing iat/, () => [bearer(hs256({ jti: 'j', iss: 'Vonage', payload_hash: sha256Hex(body) }, secret)), body]],
    ['alg none', /algorithm/, () => [bearer(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iat: now / 1000, payload_hash: sha256Hex(body) })).toString('base64url')}.`), body]],
    ['an RS256 token', /algorithm/, () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return [bearer(tokenGenerate('app-1', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { payload_hash: sha256Hex(body) })), body];
    }],
    ['a header claiming HS256 over garbage', /signature/, () => [bearer(`${Buffer.from('{"alg":"HS256"}').toString('base64url')}.e30.AAAA`), body]],
  ])('rejects %s', (_name, reason, make) => {
    const [authorization, receivedBody] = make();
    const verdict = verifyWebhook(authorization, receivedBody, secret, now);
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});

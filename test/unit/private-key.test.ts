import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { privateKeyProblem } from '../../vonage/private-key.ts';

const pem = (type: 'rsa' | 'ec') =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  ).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('privateKeyProblem', () => {
  it('accepts an RSA private key in PEM', () => {
    expect(privateKeyProblem(pem('rsa'))).toBeUndefined();
  });

  it.each([
    ['not PEM', 'hello'],
    ['truncated PEM', '-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----'],
  ])('rejects %s', (_name, value) => {
    expect(privateKeyProblem(value)).toMatch(/PEM/);
  });

  it('rejects a non-RSA key, which cannot sign RS256', () => {
    expect(privateKeyProblem(pem('ec'))).toMatch(/RSA/);
  });
});

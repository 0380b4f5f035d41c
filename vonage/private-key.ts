import { createPrivateKey } from 'node:crypto';

/**
 * Vonage signs application JWTs with RS256, so the application's private key
 * must be an RSA private key in PEM. Returns why not, or undefined when it is.
 */
export function privateKeyProblem(pem: string): string | undefined {
  if (!pem.includes('-----BEGIN')) return 'must be a PEM private key (-----BEGIN PRIVATE KEY----- …)';
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') return `must be an RSA key for RS256 (got ${key.asymmetricKeyType ?? 'unknown'})`;
    return undefined;
  } catch {
    return 'is not a readable PEM private key';
  }
}

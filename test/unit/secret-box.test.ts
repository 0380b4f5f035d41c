import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../db/secret-box.ts';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a secret and never stores it in clear', () => {
    const sealed = box.seal('s3cr3t-value', 'senders/1/apiSecret');
    expect(sealed).not.toContain('s3cr3t-value');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(box.open(sealed, 'senders/1/apiSecret')).toBe('s3cr3t-value');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('same', 'ctx')).not.toBe(box.seal('same', 'ctx'));
  });

  it('refuses a value moved to another row or column', () => {
    const sealed = box.seal('s3cr3t-value', 'senders/1/apiSecret');
    expect(() => box.open(sealed, 'senders/2/apiSecret')).toThrow();
  });

  it('refuses a tampered value and a wrong key', () => {
    const sealed = box.seal('s3cr3t-value', 'ctx');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'ctx')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'ctx')).toThrow();
  });

  it('explains a malformed ENCRYPTION_KEY', () => {
    expect(() => SecretBox.fromBase64('c2hvcnQ=')).toThrow(/32 bytes/);
    expect(SecretBox.fromBase64(randomBytes(32).toString('base64'))).toBeInstanceOf(SecretBox);
  });
});

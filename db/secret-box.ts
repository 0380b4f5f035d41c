// Encryption at rest for provider secrets: AES-256-GCM with a random 96-bit IV
// per value. The "context" (table/row/column) is bound in as associated data,
// so a sealed value copied into another row or column fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('The encryption key must be 32 bytes (AES-256).');
    this.#key = key;
  }

  /** ENCRYPTION_KEY is 32 random bytes, base64-encoded (`openssl rand -base64 32`). */
  static fromBase64(encoded: string): SecretBox {
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) {
      throw new Error(`ENCRYPTION_KEY must be 32 bytes encoded as base64 (got ${key.length} bytes); generate one with: openssl rand -base64 32`);
    }
    return new SecretBox(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('Unrecognised sealed secret format.');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

// The embedded stack invents its own API token and encryption key on first
// start and keeps them in .data/ (mode 0600), so `npm start` needs no setup and
// a restart can still read the secrets it sealed. Environment values win.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function readOrCreate(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

export function embeddedSecrets(dataDir: string, env: NodeJS.ProcessEnv): { apiToken: string; encryptionKey: string; metaAppSecret: string } {
  return {
    // Shared by the simulator (signs Meta-shaped template events) and the API (verifies them).
    metaAppSecret: env.META_APP_SECRET ?? readOrCreate(join(dataDir, 'meta-app-secret'), () => randomBytes(24).toString('base64url')),
    apiToken: env.API_TOKEN ?? readOrCreate(join(dataDir, 'api-token'), () => randomBytes(24).toString('base64url')),
    encryptionKey: env.ENCRYPTION_KEY ?? readOrCreate(join(dataDir, 'encryption-key'), () => randomBytes(32).toString('base64')),
  };
}

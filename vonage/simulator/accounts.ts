// Who may call the simulator, and where its webhooks go. Accounts are
// registered through the control API, or resolved on demand (npm start asks
// the engine's own senders table, so the simulator checks the very credentials
// a user registered, as Vonage checks them against its dashboard).
import { createPublicKey, timingSafeEqual } from 'node:crypto';
import { verifySignature } from '@vonage/jwt';
import { bearerToken } from '../webhook-signature.ts';

export interface SimAccount {
  apiKey: string;
  apiSecret?: string | undefined;
  applicationId?: string | undefined;
  /** The application's public key (PEM); a private key is accepted and its public half used. */
  publicKey?: string | undefined;
  signatureSecret?: string | undefined;
  /** Application status and inbound webhook URLs. */
  statusUrl?: string | undefined;
  inboundUrl?: string | undefined;
  /** WhatsApp numbers (digits) of this account, for inbound messages. */
  numbers?: string[] | undefined;
  /** WABA ids whose templates this account may manage. */
  wabaIds?: string[] | undefined;
}

export type AccountLookup = { apiKey: string } | { applicationId: string } | { number: string };
export type AccountResolver = (lookup: AccountLookup) => Promise<SimAccount | undefined>;

export type AuthResult = { ok: true; account: SimAccount; mode: 'jwt' | 'basic' } | { ok: false; detail: string };

const RESOLVED_TTL_MS = 5_000;

function publicKeyPem(key: string): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

function decodeClaims(token: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class AccountRegistry {
  #accounts: SimAccount[] = [];
  #resolver: AccountResolver | undefined;
  #resolved = new Map<string, { account: SimAccount | undefined; expiresAt: number }>();
  /** Tokens already verified, until they expire: verifying RS256 on every request would make the simulator the bottleneck. */
  #verifiedTokens = new Map<string, { account: SimAccount; expiresAtMs: number }>();

  constructor(resolver?: AccountResolver) {
    this.#resolver = resolver;
  }

  register(account: SimAccount): SimAccount {
    const normalised = { ...account, ...(account.publicKey ? { publicKey: publicKeyPem(account.publicKey) } : {}) };
    this.#accounts = this.#accounts.filter((a) => a.apiKey !== account.apiKey);
    this.#accounts.push(normalised);
    this.#verifiedTokens.clear();
    return normalised;
  }

  reset(): void {
    this.#accounts = [];
    this.#resolved.clear();
    this.#verifiedTokens.clear();
  }

  async find(lookup: AccountLookup): Promise<SimAccount | undefined> {
    const local = this.#accounts.find((a) =>
      'apiKey' in lookup ? a.apiKey === lookup.apiKey
        : 'applicationId' in lookup ? a.applicationId === lookup.applicationId
          : a.numbers?.includes(lookup.number));
    if (local || !this.#resolver) return local;
    const cacheKey = JSON.stringify(lookup);
    const cached = this.#resolved.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.account;
    const resolved = await this.#resolver(lookup);
    const account = resolved?.publicKey ? { ...resolved, publicKey: publicKeyPem(resolved.publicKey) } : resolved;
    this.#resolved.set(cacheKey, { account, expiresAt: Date.now() + RESOLVED_TTL_MS });
    return account;
  }

  /** Basic (api key + secret) or an RS256 application JWT, as Vonage accepts on /v1/messages. */
  async authenticate(authorization: string | undefined, allowBasic = true): Promise<AuthResult> {
    if (!authorization) return { ok: false, detail: 'You did not provide correct credentials.' };
    if (/^Basic\s/i.test(authorization)) {
      if (!allowBasic) return { ok: false, detail: 'This API accepts only application JWTs.' };
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const separator = decoded.indexOf(':');
      const apiKey = decoded.slice(0, separator);
      const account = separator > 0 ? await this.find({ apiKey }) : undefined;
      if (!account?.apiSecret || !sameSecret(account.apiSecret, decoded.slice(separator + 1))) {
        return { ok: false, detail: 'You did not provide correct credentials.' };
      }
      return { ok: true, account, mode: 'basic' };
    }
    const token = bearerToken(authorization);
    if (!token) return { ok: false, detail: 'You did not provide correct credentials.' };
    const known = this.#verifiedTokens.get(token);
    if (known && known.expiresAtMs > Date.now()) return { ok: true, account: known.account, mode: 'jwt' };
    const claims = decodeClaims(token);
    const applicationId = typeof claims?.application_id === 'string' ? claims.application_id : undefined;
    const account = applicationId ? await this.find({ applicationId }) : undefined;
    if (!account?.publicKey) return { ok: false, detail: 'You did not provide correct credentials.' };
    // verifySignature checks the RS256 signature and exp; Vonage also insists on iat and jti.
    if (!verifySignature(token, account.publicKey) || typeof claims?.iat !== 'number' || typeof claims.jti !== 'string') {
      return { ok: false, detail: 'You did not provide correct credentials.' };
    }
    const expiresAtMs = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + 60_000;
    this.#verifiedTokens.set(token, { account, expiresAtMs });
    if (this.#verifiedTokens.size > 10_000) this.#verifiedTokens.clear();
    return { ok: true, account, mode: 'jwt' };
  }
}

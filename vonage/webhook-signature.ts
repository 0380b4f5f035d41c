// Signed webhooks as Vonage sends them (reference/vonage.md §8): a bearer JWT,
// HS256 with the account's signature secret, claims iat, jti, iss "Vonage",
// api_key, application_id and payload_hash (hex SHA-256 of the body).
// The simulator signs with signWebhook; our receivers check with verifyWebhook.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { verifySignature } from '@vonage/jwt';

export const maxWebhookAgeSeconds = 5 * 60;
/** Clock skew tolerated for an iat slightly in the future. */
const maxFutureSkewSeconds = 60;

export interface WebhookClaims {
  iat: number;
  jti: string;
  iss: string;
  payload_hash: string;
  api_key?: string;
  application_id?: string;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function sha256Hex(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export function signWebhook(rawBody: string, signatureSecret: string, ids: { apiKey?: string; applicationId?: string }, nowMs = Date.now()): string {
  const claims: WebhookClaims = {
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: sha256Hex(rawBody),
    ...(ids.apiKey ? { api_key: ids.apiKey } : {}),
    ...(ids.applicationId ? { application_id: ids.applicationId } : {}),
  };
  const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${createHmac('sha256', signatureSecret).update(unsigned).digest('base64url')}`;
}

export type WebhookVerdict = { ok: true; claims: WebhookClaims } | { ok: false; reason: string };

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match?.[1];
}

export function verifyWebhook(authorization: string | undefined, rawBody: string | Buffer, signatureSecret: string, nowMs = Date.now()): WebhookVerdict {
  const token = bearerToken(authorization);
  if (!token) return { ok: false, reason: 'missing bearer token' };
  const [headerSegment, payloadSegment] = token.split('.');
  const header = decodeSegment(headerSegment);
  // Pin the algorithm: a token signed any other way (RS256, none) is not Vonage's webhook signature.
  if (header?.alg !== 'HS256') return { ok: false, reason: `unexpected algorithm ${String(header?.alg)}` };
  if (!verifySignature(token, signatureSecret)) return { ok: false, reason: 'signature does not match the signature secret' };
  const claims = decodeSegment(payloadSegment) as Partial<WebhookClaims> | undefined;
  if (typeof claims?.iat !== 'number') return { ok: false, reason: 'missing iat' };
  const ageSeconds = nowMs / 1000 - claims.iat;
  if (ageSeconds > maxWebhookAgeSeconds) return { ok: false, reason: `stale: issued ${Math.round(ageSeconds)} s ago` };
  if (ageSeconds < -maxFutureSkewSeconds) return { ok: false, reason: 'issued in the future' };
  if (claims.payload_hash !== sha256Hex(rawBody)) return { ok: false, reason: 'payload_hash does not match the body' };
  return { ok: true, claims: claims as WebhookClaims };
}

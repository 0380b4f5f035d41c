// Application JWTs (RS256) for Vonage API calls. Signing one costs an RSA
// private-key operation (~0.5 ms here), and the SDK would sign a fresh token for every
// request; a token is valid for its whole TTL, so we sign once and reuse it
// until shortly before it expires. Measured by `npm run bench:adapter`.
import { tokenGenerate } from '@vonage/jwt';

const TOKEN_TTL_SECONDS = 900; // the SDK's default
const RENEW_BEFORE_EXPIRY_SECONDS = 60;

export interface JwtSource {
  token(): string;
}

export function createJwtSource(applicationId: string, privateKey: string, now: () => number = Date.now): JwtSource {
  let cached: { token: string; renewAtMs: number } | undefined;
  return {
    token() {
      const nowMs = now();
      if (!cached || nowMs >= cached.renewAtMs) {
        cached = {
          token: tokenGenerate(applicationId, privateKey, { ttl: TOKEN_TTL_SECONDS }),
          renewAtMs: nowMs + (TOKEN_TTL_SECONDS - RENEW_BEFORE_EXPIRY_SECONDS) * 1000,
        };
      }
      return cached.token;
    },
  };
}

// Logger settings for the API. Redaction is a backstop: the code never logs
// request bodies or credentials on purpose, and these paths keep an accidental
// `log.info({ sender })` from leaking one, up to four levels deep.
import type { FastifyRequest } from 'fastify';

const secretKeys = [
  'authorization',
  'apiSecret',
  'privateKey',
  'signatureSecret',
  'api_secret_sealed',
  'private_key_sealed',
  'signature_secret_sealed',
  'apiToken',
  'encryptionKey',
];

export const redactedPaths = [
  // The SDK's errors carry the whole request, Authorization header included.
  'err.config',
  '*.err.config',
  ...secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
];

/** A token in a query string (the dashboard's sign-in link) never reaches the log. */
export const withoutTokens = (url: string) => url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');

interface LoggedRequest {
  [key: string]: unknown;
  method?: string;
  url?: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export function loggerOptions(level: string) {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      // Fastify's request (anything else logged under `req` passes through, to redaction like the rest).
      req: (request: FastifyRequest): Record<string, unknown> => {
        const logged = request as unknown as LoggedRequest;
        return typeof logged.url === 'string' && typeof logged.method === 'string'
          ? { method: logged.method, url: withoutTokens(logged.url), hostname: logged.hostname, remoteAddress: logged.ip, remotePort: logged.socket?.remotePort }
          : logged;
      },
    },
  };
}

// Bearer-token auth for /v1/*. The token is compared in constant time through
// fixed-length digests so neither its content nor its length leaks by timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Problem } from '../domain/problems.ts';
import { sendProblem } from './problem.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** A constant-time check of candidates against one secret; anything but a string fails. */
export function secretMatcher(secret: string): (candidate: unknown) => boolean {
  const expected = digest(secret);
  return (candidate) => typeof candidate === 'string' && timingSafeEqual(digest(candidate), expected);
}

/** The token of an `Authorization: Bearer …` header, if there is one. */
export const bearerToken = (header: string | undefined): string | undefined => /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();

export function requireBearerToken(app: FastifyInstance, token: string): void {
  const matches = secretMatcher(token);
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    if (matches(bearerToken(header))) return;
    reply.header('www-authenticate', 'Bearer realm="whatsapp-engine"');
    return sendProblem(reply, request, new Problem(401, 'unauthorized', 'Unauthorized',
      header ? 'The bearer token is not valid.' : 'Send an Authorization: Bearer <API_TOKEN> header.'));
  });
}

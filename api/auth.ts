// Bearer-token auth for /v1/*. The token is compared in constant time through
// fixed-length digests so neither its content nor its length leaks by timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Problem } from '../domain/problems.ts';
import { sendProblem } from './problem.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function requireBearerToken(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match?.[1] && timingSafeEqual(digest(match[1].trim()), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="whatsapp-engine"');
    return sendProblem(reply, request, new Problem(401, 'unauthorized', 'Unauthorized',
      header ? 'The bearer token is not valid.' : 'Send an Authorization: Bearer <API_TOKEN> header.'));
  });
}

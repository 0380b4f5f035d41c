// Signed webhooks are verified over the exact bytes received, so their plugins
// keep the raw body beside the parsed one (only within that plugin's scope).
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RawBodyRequest extends FastifyRequest {
  rawBody?: string;
}

export function keepRawJsonBody(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as RawBodyRequest).rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      Object.assign(error as Error, { statusCode: 400 });
      done(error as Error, undefined);
    }
  });
}

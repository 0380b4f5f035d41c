// RFC 9457 problem details for every error the API returns, with the offending
// fields named. One error handler renders everything; handlers just throw.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem, type FieldError } from '../domain/problems.ts';

export const problemSchema = z
  .object({
    type: z.string().describe('URI reference identifying the problem type.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type ProblemBody = z.infer<typeof problemSchema>;

/** Problem responses every authenticated route may give, for the OpenAPI document. */
export const commonProblemResponses = { 401: problemSchema, 422: problemSchema } as const;

const problemTypeBase = '/problems/';

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): FastifyReply {
  const body: ProblemBody = {
    type: `${problemTypeBase}${problem.type}`,
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    instance: request.url,
    requestId: String(request.id),
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
  return reply.code(problem.status).type('application/problem+json').send(body);
}

function fieldErrorsFromZod(error: { validation: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[]; validationContext?: string }): FieldError[] {
  const location = error.validationContext ?? 'body';
  return error.validation.flatMap((issue) => {
    const path = issue.instancePath.split('/').filter(Boolean).join('.');
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
      return (issue.params.keys as string[]).map((key) => ({ field: path ? `${path}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ field: path || location, message: issue.message ?? 'is invalid' }];
  });
}

/** Maps framework and domain errors onto problems; unknown errors become an opaque 500. */
function toProblem(error: FastifyError | Error): Problem {
  if (error instanceof Problem) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = fieldErrorsFromZod(error);
    return new Problem(422, 'validation-failed', 'Request validation failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status === 415) return new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the request body as application/json.');
  if (status === 413) return new Problem(413, 'payload-too-large', 'Payload too large', error.message);
  if (status >= 400 && status < 500) return new Problem(status, 'bad-request', 'Bad request', error.message);
  return new Problem(500, 'internal', 'Internal server error', 'The server failed to handle the request; the request id identifies it in the logs.');
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new Problem(404, 'not-found', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}

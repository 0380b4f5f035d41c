// /v1/senders: WhatsApp numbers and the Vonage credentials that send from them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationProblem, type FieldError } from '../domain/problems.ts';
import { createSenderSchema, senderSchema, updateSenderSchema } from '../domain/sender.ts';
import type { SendersRepository } from '../db/senders.ts';
import { privateKeyProblem } from '../vonage/private-key.ts';
import { commonProblemResponses, problemSchema } from './problem.ts';

export interface SenderRoutesOptions {
  senders: SendersRepository;
}

const senderIdParams = z.object({ senderId: z.uuid() });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});
const senderList = z.object({ items: z.array(senderSchema), nextCursor: z.string().nullable() }).meta({ id: 'SenderList' });

function assertPrivateKeyReadable(privateKey: string | null | undefined): void {
  if (!privateKey) return;
  const problem = privateKeyProblem(privateKey);
  if (problem) throw new ValidationProblem([{ field: 'privateKey', message: problem } satisfies FieldError]);
}

export const senderRoutes: FastifyPluginAsyncZod<SenderRoutesOptions> = async (app, { senders }) => {
  const tags = ['senders'];
  const security = [{ bearerAuth: [] }];

  app.post('/v1/senders', {
    schema: {
      summary: 'Register a WhatsApp sender',
      tags, security,
      body: createSenderSchema,
      response: { 201: senderSchema, 409: problemSchema, ...commonProblemResponses },
    },
  }, async (request, reply) => {
    assertPrivateKeyReadable(request.body.privateKey);
    const sender = await senders.create(request.body);
    return reply.code(201).header('location', `/v1/senders/${sender.senderId}`).send(sender);
  });

  app.get('/v1/senders', {
    schema: { summary: 'List senders', tags, security, querystring: listQuery, response: { 200: senderList, ...commonProblemResponses } },
  }, async (request) => senders.list(request.query.limit, request.query.cursor));

  app.get('/v1/senders/:senderId', {
    schema: { summary: 'Get a sender', tags, security, params: senderIdParams, response: { 200: senderSchema, 404: problemSchema, ...commonProblemResponses } },
  }, async (request) => senders.get(request.params.senderId));

  app.patch('/v1/senders/:senderId', {
    schema: {
      summary: 'Update a sender; null clears an optional field',
      tags, security,
      params: senderIdParams,
      body: updateSenderSchema,
      response: { 200: senderSchema, 404: problemSchema, 409: problemSchema, ...commonProblemResponses },
    },
  }, async (request) => {
    assertPrivateKeyReadable(request.body.privateKey);
    return senders.update(request.params.senderId, request.body);
  });

  app.delete('/v1/senders/:senderId', {
    schema: { summary: 'Delete a sender', tags, security, params: senderIdParams, response: { 204: z.undefined(), 404: problemSchema, ...commonProblemResponses } },
  }, async (request, reply) => {
    await senders.delete(request.params.senderId);
    return reply.code(204).send();
  });
};

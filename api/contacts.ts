// /v1/contacts and /v1/profiles: the people a business messages, and their
// consent. Consent changes only ever append to the ledger.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consentChangeSchema, consentEventSchema, parseSubscriptionFlag, type ConsentChange } from '../domain/consent.ts';
import { contactFields, contactSchema, identified, identifiedMessage, type UpsertContact } from '../domain/contact.ts';
import { Problem, type FieldError } from '../domain/problems.ts';
import type { ContactsRepository } from '../db/contacts.ts';
import { commonProblemResponses, problemSchema } from './problem.ts';

export interface ContactRoutesOptions {
  contacts: ContactsRepository;
}

const consentStatement = z.object({
  marketing: z.boolean().optional(),
  utility: z.boolean().optional(),
  proof: z.string().max(2000).optional().describe('What shows the person agreed: wording, form id, URL.'),
}).strict();

const upsertBody = contactFields.extend({ consent: consentStatement.optional() }).strict().refine(identified, identifiedMessage).meta({ id: 'UpsertContact' });
const contactIdParams = z.object({ contactId: z.uuid() });

/** CleverTap's upload format: `{d: [{identity | objectId, type: "profile", profileData}]}`. */
const profileUpload = z.object({
  d: z.array(z.object({
    identity: z.string().min(1).max(200).optional(),
    objectId: z.string().min(1).max(200).optional(),
    type: z.literal('profile'),
    profileData: z.record(z.string(), z.unknown()),
  }).loose()).min(1).max(1000),
}).meta({ id: 'ProfileUpload' });

const profileResult = z.object({
  status: z.enum(['success', 'partial', 'fail']),
  processed: z.number().int(),
  unprocessed: z.array(z.object({ index: z.number().int(), errors: z.array(z.object({ field: z.string(), message: z.string() })) })),
}).meta({ id: 'ProfileUploadResult' });

function consentChanges(statement: z.infer<typeof consentStatement> | undefined, source: ConsentChange['source']): ConsentChange[] {
  if (!statement) return [];
  const changes: ConsentChange[] = [];
  if (statement.marketing !== undefined) changes.push({ scope: 'MARKETING', granted: statement.marketing, source, proof: statement.proof });
  if (statement.utility !== undefined) changes.push({ scope: 'UTILITY', granted: statement.utility, source, proof: statement.proof });
  return changes;
}

const reservedProfileKeys = new Set(['phone', 'name', 'msg-whatsapp', 'tz', 'timezone', 'locale']);

/** A CleverTap profile as a contact; consent lives at the object-id level (the seed's advice), else at identity. */
export function profileToContact(record: z.infer<typeof profileUpload>['d'][number]): { contact: UpsertContact; consent: ConsentChange[] } | { errors: FieldError[] } {
  const data = record.profileData;
  const lookup = (name: string) => Object.entries(data).find(([key]) => key.toLowerCase() === name)?.[1];
  const errors: FieldError[] = [];
  const externalId = record.objectId ?? record.identity;
  const rawPhone = lookup('phone');
  const phone = typeof rawPhone === 'string' ? rawPhone : typeof rawPhone === 'number' ? `+${rawPhone}` : undefined;
  if (rawPhone !== undefined && phone === undefined) errors.push({ field: 'profileData.Phone', message: 'must be a phone number' });
  const contact: UpsertContact = {
    ...(externalId ? { externalId } : {}),
    ...(phone !== undefined ? { whatsappNumber: phone } : {}),
    ...(typeof lookup('name') === 'string' ? { displayName: lookup('name') as string } : {}),
    attributes: Object.fromEntries(Object.entries(data).filter(([key]) => !reservedProfileKeys.has(key.toLowerCase()))),
  };
  const parsed = contactFields.safeParse(contact);
  if (!parsed.success) errors.push(...parsed.error.issues.map((i) => ({ field: i.path.join('.') === 'whatsappNumber' ? 'profileData.Phone' : i.path.join('.'), message: i.message })));
  if (!identified(contact)) errors.push({ field: 'identity', message: 'give an identity, an objectId or profileData.Phone' });
  const flagValue = lookup('msg-whatsapp');
  const flag = parseSubscriptionFlag(flagValue);
  if (flagValue !== undefined && flag === undefined) errors.push({ field: 'profileData.MSG-whatsapp', message: 'must be true or false' });
  if (errors.length > 0) return { errors };
  const proof = `profile push: MSG-whatsapp=${String(flagValue)}`;
  // CleverTap's MSG-whatsapp subscribes to WhatsApp as a whole: every scope.
  const consent: ConsentChange[] = flag === undefined ? [] : (['MARKETING', 'UTILITY'] as const).map((scope) => ({ scope, granted: flag, source: 'profile' as const, proof }));
  return { contact, consent };
}

export const contactRoutes: FastifyPluginAsyncZod<ContactRoutesOptions> = async (app, { contacts }) => {
  const tags = ['contacts'];
  const security = [{ bearerAuth: [] }];

  app.post('/v1/contacts', {
    schema: {
      summary: 'Create or update a contact (matched by number, else external id), with optional consent',
      tags, security, body: upsertBody,
      response: { 200: contactSchema, 201: contactSchema, 409: problemSchema, ...commonProblemResponses },
    },
  }, async (request, reply) => {
    const { consent, ...contact } = request.body;
    const result = await contacts.upsert(contact, consentChanges(consent, 'api'));
    return reply.code(result.created ? 201 : 200).header('location', `/v1/contacts/${result.contact.contactId}`).send(result.contact);
  });

  app.get('/v1/contacts/:contactId', {
    schema: { summary: 'Get a contact and its current consent', tags, security, params: contactIdParams, response: { 200: contactSchema, 404: problemSchema, ...commonProblemResponses } },
  }, async (request) => contacts.get(request.params.contactId));

  app.get('/v1/contacts/:contactId/consents', {
    schema: {
      summary: 'The consent ledger of a contact, oldest first', tags, security, params: contactIdParams,
      response: { 200: z.object({ items: z.array(consentEventSchema) }), 404: problemSchema, ...commonProblemResponses },
    },
  }, async (request) => ({ items: await contacts.consentHistory(request.params.contactId) }));

  app.post('/v1/contacts/:contactId/consents', {
    schema: {
      summary: 'Grant or revoke consent for one scope (appends to the ledger)', tags, security, params: contactIdParams, body: consentChangeSchema,
      response: { 201: contactSchema, 404: problemSchema, ...commonProblemResponses },
    },
  }, async (request, reply) => reply.code(201).send(await contacts.recordConsent(request.params.contactId, [request.body])));

  app.post('/v1/profiles', {
    schema: {
      summary: 'CleverTap-style profile push; MSG-whatsapp sets WhatsApp consent', tags, security, body: profileUpload,
      response: { 200: profileResult, ...commonProblemResponses },
    },
  }, async (request) => {
    const unprocessed: z.infer<typeof profileResult>['unprocessed'] = [];
    let processed = 0;
    for (const [index, record] of request.body.d.entries()) {
      const mapped = profileToContact(record);
      if ('errors' in mapped) {
        unprocessed.push({ index, errors: mapped.errors });
        continue;
      }
      try {
        await contacts.upsert(mapped.contact, mapped.consent, 'profile');
        processed++;
      } catch (error) {
        // Each record stands alone: one conflict does not undo or block the others.
        if (!(error instanceof Problem) || error.status >= 500) throw error;
        unprocessed.push({ index, errors: error.errors ?? [{ field: 'record', message: error.message }] });
      }
    }
    const status: z.infer<typeof profileResult>['status'] = unprocessed.length === 0 ? 'success' : processed === 0 ? 'fail' : 'partial';
    return { status, processed, unprocessed };
  });
};

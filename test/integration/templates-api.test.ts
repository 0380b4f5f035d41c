// /v1/templates over HTTP: every structural rule refused (422, fields named)
// and accepted, CRUD, conflicts, and submission starting one workflow.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateWorkflowId } from '../../domain/template.ts';
import { useApiFixture } from '../helpers/api.ts';
import { templateRuleCases, validTemplate } from '../fixtures/template-cases.ts';

const fixture = useApiFixture();
let senderId: string;
let bareSenderId: string;
const started: string[] = [];

beforeAll(async () => {
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const full = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: { nickname: 'T', whatsappNumber: '+14155550161', applicationId: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b', privateKey, wabaId: '1234567' } });
  senderId = full.json().senderId;
  const bare = await fixture.api.request({ method: 'POST', url: '/v1/senders', payload: { nickname: 'B', whatsappNumber: '+14155550162', apiKey: 'k1234567', apiSecret: 's' } });
  bareSenderId = bare.json().senderId;
});

afterAll(async () => {
  // Leave no workflow running on the shared server: nothing polls their task queue here.
  for (const workflowId of started) await fixture.temporal.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
});

const create = (payload: object) => fixture.api.request({ method: 'POST', url: '/v1/templates', payload });

describe('template validation through the API', () => {
  it.each(templateRuleCases)('%s', async (_rule, breaking, fields, keeping) => {
    const refused = await create({ ...validTemplate, senderId, ...breaking });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.json().errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());

    const accepted = await create({ ...validTemplate, senderId, ...keeping, ...(keeping.name ? {} : { name: `keep_${Date.now()}_${Math.floor(Math.random() * 1e6)}` }) });
    expect(accepted.statusCode).toBe(201);
    expect((await fixture.api.request({ method: 'DELETE', url: `/v1/templates/${accepted.json().templateId}` })).statusCode).toBe(204);
  });

  it('refuses a body that does not even have the shape, naming the fields', async () => {
    const response = await create({ senderId: 'nope', name: 'x', language: 'en', category: 'PROMO', body: {} });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['senderId', 'category', 'body.text']));
  });
});

describe('templates', () => {
  it('creates a draft, gets it, finds it by filters, refuses a duplicate and an unknown sender, deletes it', async () => {
    const created = await create({ ...validTemplate, senderId, name: 'crud_check', namespace: 'legacy_ns', header: { type: 'image', exampleUrl: 'https://cdn.example.com/a.png' }, footer: 'Reply STOP to opt out', buttons: [{ type: 'quick_reply', text: 'Stop' }] });
    expect(created.statusCode).toBe(201);
    const template = created.json();
    expect(template).toMatchObject({ name: 'crud_check', namespace: 'legacy_ns', status: 'DRAFT', providerTemplateId: null, workflowId: templateWorkflowId(template.templateId), footer: 'Reply STOP to opt out' });
    expect((await fixture.api.request({ method: 'GET', url: `/v1/templates/${template.templateId}` })).json()).toEqual(template);

    for (const query of [`senderId=${senderId}`, 'name=crud_check', 'status=DRAFT']) {
      const listed = await fixture.api.request({ method: 'GET', url: `/v1/templates?${query}&limit=200` });
      expect(listed.json().items.map((t: { templateId: string }) => t.templateId)).toContain(template.templateId);
    }
    expect((await fixture.api.request({ method: 'GET', url: `/v1/templates?senderId=${bareSenderId}` })).json().items).toEqual([]);
    expect((await fixture.api.request({ method: 'GET', url: '/v1/templates?status=APPROVED&name=crud_check' })).json().items).toEqual([]);

    expect((await create({ ...validTemplate, senderId, name: 'crud_check' })).statusCode).toBe(409);
    const unknownSender = await create({ ...validTemplate, senderId: '6f1c8f8e-3a52-4d55-9a4c-7f0d8f5b1c2a', name: 'orphan' });
    expect(unknownSender.statusCode).toBe(422);
    expect(unknownSender.json().errors).toEqual([expect.objectContaining({ field: 'senderId' })]);

    const senderDelete = await fixture.api.request({ method: 'DELETE', url: `/v1/senders/${senderId}` });
    expect(senderDelete.statusCode).toBe(409); // it still has templates

    expect((await fixture.api.request({ method: 'DELETE', url: `/v1/templates/${template.templateId}` })).statusCode).toBe(204);
    expect((await fixture.api.request({ method: 'GET', url: `/v1/templates/${template.templateId}` })).statusCode).toBe(404);
  });

  it('submits once: a second submit returns the running workflow, and a watched template cannot be deleted', async () => {
    const template = (await create({ ...validTemplate, senderId, name: 'submit_twice' })).json();
    const first = await fixture.api.request({ method: 'POST', url: `/v1/templates/${template.templateId}/submit` });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ templateId: template.templateId, workflowId: `template/${template.templateId}` });
    started.push(first.json().workflowId);
    const handle = fixture.temporal.client.workflow.getHandle(first.json().workflowId);
    const runId = (await handle.describe()).runId;
    expect((await fixture.api.request({ method: 'POST', url: `/v1/templates/${template.templateId}/submit` })).statusCode).toBe(202);
    expect((await handle.describe()).runId).toBe(runId);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.getAll().map((pair) => pair.key.name).sort()).toEqual(['EngineStatus', 'TemplateName']);
    expect(await description.staticSummary()).toBe('Meta approval of template submit_twice (en_US, UTILITY)');

    const deleting = await fixture.api.request({ method: 'DELETE', url: `/v1/templates/${template.templateId}` });
    expect(deleting.statusCode).toBe(409);
  });

  it('refuses to submit for a sender that cannot manage templates (no WABA, no JWT credentials)', async () => {
    const template = (await create({ ...validTemplate, senderId: bareSenderId, name: 'cannot_submit' })).json();
    const response = await fixture.api.request({ method: 'POST', url: `/v1/templates/${template.templateId}/submit` });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(['senderId', 'senderId']);
  });
});

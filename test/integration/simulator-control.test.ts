// The simulator's control API, over HTTP as demos and other processes use it.
import { describe, expect, it } from 'vitest';
import { createMessenger } from '../../vonage/messenger.ts';
import { createTemplateManagerClient } from '../../vonage/template-manager.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';

const sim = useSimulator({ statusWebhooks: false });
const control = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sim.url}/_sim/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>) };
};

describe('simulator control API', () => {
  it('registers an account, filters the ledger by recipient and client_ref, and resets', async () => {
    const account = makeTestAccount();
    expect((await control('POST', 'accounts', account)).status).toBe(201);
    const messenger = createMessenger({ apiKey: account.apiKey, apiSecret: account.apiSecret }, { apiHost: sim.url, timeoutMs: 5_000 });
    await messenger.send({ kind: 'text', to: '+447700900001', from: '+14155550101', clientRef: 'a', text: 'one' });
    await messenger.send({ kind: 'text', to: '+447700900002', from: '+14155550101', clientRef: 'b', text: 'two' });
    expect(((await control('GET', 'ledger?to=%2B447700900001')).body?.messages as unknown[]).length).toBe(1);
    expect((await control('GET', 'ledger?clientRef=b')).body?.messages).toEqual([expect.objectContaining({ to: '447700900002', clientRef: 'b', messageType: 'text' })]);
    expect((await control('GET', 'stats')).body).toMatchObject({ accepted: 2 });
    expect((await control('POST', 'reset')).status).toBe(204);
    expect((await control('GET', 'ledger')).body?.messages).toEqual([]);
    // A reset forgets accounts too.
    await expect(messenger.send({ kind: 'text', to: '+447700900001', from: '+14155550101', clientRef: 'c', text: 'x' })).rejects.toMatchObject({ status: 401 });
  });

  it('sets faults, recipients and template rules, and refuses nonsense with 400', async () => {
    expect((await control('PUT', 'faults', { throttleRate: 0.5, retryAfterSeconds: 2, seed: 7 })).body).toMatchObject({ throttleRate: 0.5, retryAfterSeconds: 2, seed: 7, serverErrorRate: 0 });
    expect((await control('PUT', 'faults', { throttleRate: 2 })).status).toBe(400);
    expect((await control('PUT', 'faults', { throttleRate: 0, retryAfterSeconds: null })).body).not.toHaveProperty('retryAfterSeconds');
    expect((await control('PUT', 'recipients/+447700900003', { outcome: 'undeliverable', errorCode: '1330' })).status).toBe(204);
    expect(sim.simulator.recipients.get('447700900003')).toEqual({ outcome: 'undeliverable', errorCode: '1330' });
    expect((await control('PUT', 'recipients/447700900003', { outcome: 'exploded' })).status).toBe(400);
    expect((await control('PUT', 'template-rules', { rules: [{ outcome: 'REJECTED', reason: 'SCAM', delayMs: 10_000 }] })).status).toBe(200);
    expect((await control('PUT', 'status-delays', { read: 5 })).body).toMatchObject({ read: 5 });
  });

  it('forces a template into a later state, as Meta pauses or disables one', async () => {
    const account = makeTestAccount({ wabaIds: ['555'] });
    await control('POST', 'accounts', account);
    await control('PUT', 'template-rules', { rules: [{ outcome: 'APPROVED', delayMs: 0 }] });
    const client = createTemplateManagerClient({ applicationId: account.applicationId, privateKey: account.privateKey }, { apiHost: sim.url, timeoutMs: 5_000 });
    const { id } = await client.create('555', { name: 'pausable', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Hi' }] });
    await expect.poll(async () => (await client.get('555', id)).status).toBe('APPROVED');
    expect((await control('POST', `templates/${id}/status`, { status: 'PAUSED', reason: 'LOW_QUALITY' })).body).toMatchObject({ status: 'PAUSED' });
    expect((await client.get('555', id)).status).toBe('PAUSED');
    expect((await control('POST', 'templates/000/status', { status: 'PAUSED' })).status).toBe(404);
  });
});

// The real @vonage/server-sdk, through our adapter, against the simulator over
// HTTP: every message type we send, both auth modes, every failure class.
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../domain/outbound-message.ts';
import { freePort } from '../../scripts/temporal-dev-server.ts';
import { VonageRequestError } from '../../vonage/failures.ts';
import { createMessenger, type VonageCredentials } from '../../vonage/messenger.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';

const sim = useSimulator({ statusWebhooks: false });
const ourNumber = '+14155550101';
const account = makeTestAccount({ numbers: ['14155550101'] });

const jwtCredentials: VonageCredentials = { applicationId: account.applicationId, privateKey: account.privateKey };
const basicCredentials: VonageCredentials = { apiKey: account.apiKey, apiSecret: account.apiSecret };

function messenger(credentials: VonageCredentials, timeoutMs = 5_000) {
  sim.simulator.accounts.register(account);
  return createMessenger(credentials, { apiHost: sim.url, timeoutMs });
}

let sequence = 0;
const addressing = () => ({ to: '+447700900123', from: ourNumber, clientRef: `msg-${++sequence}` });

const messages: [string, () => OutboundMessage, Record<string, unknown>][] = [
  ['native template', () => ({ ...addressing(), kind: 'template', name: 'order_update', locale: 'en_US', parameters: ['Ana', '#1234'] }),
    { message_type: 'template', template: { name: 'order_update', parameters: ['Ana', '#1234'] }, whatsapp: { policy: 'deterministic', locale: 'en_US' } }],
  ['rich template with image header and buttons', () => ({
    ...addressing(), kind: 'rich-template', name: 'spring_sale', locale: 'en_GB',
    header: { type: 'image', url: 'https://cdn.example.com/sale.png' }, bodyParameters: ['Ana'],
    buttons: [{ type: 'quick_reply', index: 0, payload: 'STOP' }, { type: 'url', index: 1, text: 'spring' }],
  }), { message_type: 'custom', custom: { type: 'template', template: { name: 'spring_sale', language: { policy: 'deterministic', code: 'en_GB' }, components: [
    { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/sale.png' } }] },
    { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
    { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'STOP' }] },
    { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'spring' }] },
  ] } } }],
  ['rich template with video header', () => ({ ...addressing(), kind: 'rich-template', name: 'demo', locale: 'en_US', header: { type: 'video', url: 'https://cdn.example.com/v.mp4' }, bodyParameters: [] }),
    { custom: { type: 'template', template: { components: [{ type: 'header', parameters: [{ type: 'video', video: { link: 'https://cdn.example.com/v.mp4' } }] }] } } }],
  ['rich template with document header', () => ({ ...addressing(), kind: 'rich-template', name: 'invoice', locale: 'pt_BR', header: { type: 'document', url: 'https://cdn.example.com/i.pdf', filename: 'invoice.pdf' }, bodyParameters: ['42'] }),
    { custom: { type: 'template', template: { components: [{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://cdn.example.com/i.pdf', filename: 'invoice.pdf' } }] }, { type: 'body' }] } } }],
  ['rich template with location header', () => ({ ...addressing(), kind: 'rich-template', name: 'store_visit', locale: 'en_US', header: { type: 'location', latitude: 51.5, longitude: -0.12, name: 'Store', address: '1 High St' }, bodyParameters: ['Ana'] }),
    { custom: { type: 'template', template: { components: [{ type: 'header', parameters: [{ type: 'location', location: { latitude: 51.5, longitude: -0.12, name: 'Store', address: '1 High St' } }] }, { type: 'body' }] } } }],
  ['rich template with text header', () => ({ ...addressing(), kind: 'rich-template', name: 'welcome', locale: 'en_US', header: { type: 'text', text: 'Hi Ana' }, bodyParameters: ['Ana'] }),
    { custom: { type: 'template', template: { components: [{ type: 'header', parameters: [{ type: 'text', text: 'Hi Ana' }] }, { type: 'body' }] } } }],
  ['free-form text', () => ({ ...addressing(), kind: 'text', text: 'Thanks, we are on it.' }), { message_type: 'text', text: 'Thanks, we are on it.' }],
];

describe.each([['JWT', jwtCredentials], ['Basic', basicCredentials]] as const)('sending with %s auth', (mode, credentials) => {
  it.each(messages)('sends a %s exactly as Vonage expects it', async (_name, build, expectedWire) => {
    const client = messenger(credentials);
    expect(client.authMode).toBe(mode === 'JWT' ? 'jwt' : 'basic');
    const message = { ...build(), webhookUrl: 'https://hooks.example.com/status' };
    const { messageUuid } = await client.send(message);
    const entry = sim.simulator.ledger.find((m) => m.messageUuid === messageUuid);
    expect(entry).toMatchObject({ auth: mode === 'JWT' ? 'jwt' : 'basic', to: '447700900123', from: '14155550101', clientRef: message.clientRef });
    expect(entry?.request).toMatchObject({ channel: 'whatsapp', client_ref: message.clientRef, webhook_url: 'https://hooks.example.com/status', ...expectedWire });
  });
});

async function sendFailure(send: () => Promise<unknown>): Promise<VonageRequestError> {
  const error = await send().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(VonageRequestError);
  return error as VonageRequestError;
}

const template = (): OutboundMessage => ({ ...addressing(), kind: 'template', name: 'order_update', locale: 'en_US', parameters: ['x'] });

describe('failures are classified', () => {
  it('wrong credentials: permanent 401, for both auth modes, and nothing accepted', async () => {
    const before = sim.simulator.ledger.length;
    const other = makeTestAccount();
    for (const credentials of [{ ...basicCredentials, apiSecret: 'wrong' }, { applicationId: account.applicationId, privateKey: other.privateKey }, { applicationId: other.applicationId, privateKey: other.privateKey }]) {
      const error = await sendFailure(() => messenger(credentials).send(template()));
      expect(error).toMatchObject({ status: 401, verdict: { class: 'permanent' } });
    }
    expect(sim.simulator.ledger.length).toBe(before);
  });

  it('an invalid message: permanent 422, the offending parameter named by the provider', async () => {
    const error = await sendFailure(() => messenger(basicCredentials).send({ ...addressing(), kind: 'text', text: 'x'.repeat(4097) }));
    expect(error).toMatchObject({ status: 422, code: '1020', verdict: { class: 'permanent' } });
    const badTemplate = await sendFailure(() => messenger(basicCredentials).send({ ...addressing(), kind: 'rich-template', name: 'Bad Name', locale: 'en_US', bodyParameters: ['x'] }));
    expect(badTemplate).toMatchObject({ status: 422, verdict: { class: 'permanent' } });
  });

  it('a number that is not the account\'s: permanent (1420 invalid sender)', async () => {
    const error = await sendFailure(() => messenger(basicCredentials).send({ ...template(), from: '+14155550199' }));
    expect(error).toMatchObject({ status: 422, code: '1420', verdict: { class: 'permanent' } });
  });

  it('5xx: retryable; 429: retryable, honouring Retry-After when present', async () => {
    sim.simulator.faults = { ...sim.simulator.faults, serverErrorRate: 1 };
    expect(await sendFailure(() => messenger(jwtCredentials).send(template()))).toMatchObject({ status: 500, verdict: { class: 'retryable' } });
    sim.simulator.faults = { ...sim.simulator.faults, serverErrorRate: 0, throttleRate: 1, retryAfterSeconds: 7 };
    const throttled = await sendFailure(() => messenger(jwtCredentials).send(template()));
    expect(throttled).toMatchObject({ status: 429, verdict: { class: 'retryable', retryAfterMs: 7000 } });
    sim.simulator.faults = { ...sim.simulator.faults, retryAfterSeconds: undefined };
    const bare = await sendFailure(() => messenger(jwtCredentials).send(template()));
    expect(bare.verdict).toEqual({ class: 'retryable', reason: 'throttled (429)' });
    sim.simulator.faults = { ...sim.simulator.faults, throttleRate: 0 };
  });

  it('accepted then the connection dropped: ambiguous, and the simulator did accept it', async () => {
    sim.simulator.faults = { ...sim.simulator.faults, dropAfterAcceptRate: 1 };
    const message = template();
    const error = await sendFailure(() => messenger(basicCredentials).send(message));
    sim.simulator.faults = { ...sim.simulator.faults, dropAfterAcceptRate: 0 };
    expect(error.verdict.class).toBe('ambiguous');
    expect(sim.simulator.ledger.filter((m) => m.clientRef === message.clientRef)).toHaveLength(1);
  });

  it('our timeout while the provider is slow: ambiguous', async () => {
    sim.simulator.faults = { ...sim.simulator.faults, latencyMs: { min: 400, max: 400 } };
    const error = await sendFailure(() => messenger(basicCredentials, 100).send(template()));
    sim.simulator.faults = { ...sim.simulator.faults, latencyMs: { min: 0, max: 0 } };
    expect(error.verdict).toMatchObject({ class: 'ambiguous', reason: expect.stringMatching(/timed out/) });
  });

  it('nobody listening: retryable, the request never left', async () => {
    const client = createMessenger(basicCredentials, { apiHost: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2_000 });
    const error = await sendFailure(() => client.send(template()));
    expect(error.verdict).toMatchObject({ class: 'retryable', reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('mixed faults produce exactly the configured classes, and the ledger agrees', async () => {
    sim.simulator.faults = { ...sim.simulator.faults, serverErrorRate: 0.2, throttleRate: 0.2, dropAfterAcceptRate: 0.1, seed: 42 };
    const client = messenger(jwtCredentials);
    const clientRefs: string[] = [];
    const outcomes = await Promise.all(Array.from({ length: 120 }, async () => {
      const message = template();
      clientRefs.push(message.clientRef);
      return client.send(message).then(() => 'accepted' as const, (e: VonageRequestError) => `${e.verdict.class}:${e.status ?? '-'}`);
    }));
    sim.simulator.faults = { ...sim.simulator.faults, serverErrorRate: 0, throttleRate: 0, dropAfterAcceptRate: 0 };
    const counts = outcomes.reduce<Record<string, number>>((acc, outcome) => ({ ...acc, [outcome]: (acc[outcome] ?? 0) + 1 }), {});
    expect(Object.keys(counts).sort()).toEqual(['accepted', 'ambiguous:-', 'retryable:429', 'retryable:500']);
    const ledger = sim.simulator.ledger.filter((m) => m.clientRef && clientRefs.includes(m.clientRef));
    expect(ledger.length).toBe((counts.accepted ?? 0) + (counts['ambiguous:-'] ?? 0));
    expect(ledger.filter((m) => m.answerDropped).length).toBe(counts['ambiguous:-']);
  });
});

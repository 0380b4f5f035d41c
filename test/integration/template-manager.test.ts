// Our template-manager client against the simulator's template manager: JWT
// auth, the PENDING → APPROVED/REJECTED state machine, listing, failures.
import { describe, expect, it } from 'vitest';
import { VonageRequestError } from '../../vonage/failures.ts';
import { createTemplateManagerClient, type NewProviderTemplate } from '../../vonage/template-manager.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';

const sim = useSimulator({ statusWebhooks: false });
const account = makeTestAccount({ wabaIds: ['1029384756'] });
const waba = '1029384756';

const client = () => {
  sim.simulator.accounts.register(account);
  return createTemplateManagerClient({ applicationId: account.applicationId, privateKey: account.privateKey }, { apiHost: sim.url, timeoutMs: 5_000 });
};

const template = (name: string): NewProviderTemplate => ({
  name,
  language: 'en_US',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Your order {{1}} has shipped', example: { body_text: [['#1234']] } }],
});

describe('template manager client', () => {
  it('creates a template that starts PENDING and is approved after the configured delay', async () => {
    const created = await client().create(waba, template('order_shipped'));
    expect(created).toMatchObject({ id: expect.stringMatching(/^\d+$/), status: 'PENDING' });
    expect((await client().get(waba, created.id)).status).toBe('PENDING');
    await expect.poll(async () => (await client().get(waba, created.id)).status, { timeout: 5_000 }).toBe('APPROVED');
  });

  it('follows rules: a rejection carries Meta\'s reason', async () => {
    sim.simulator.templates.rules = [{ namePattern: '^promo_', outcome: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH', delayMs: 20 }];
    const created = await client().create(waba, template('promo_black_friday'));
    await expect.poll(async () => client().get(waba, created.id), { timeout: 5_000 }).toMatchObject({ status: 'REJECTED', rejected_reason: 'TAG_CONTENT_MISMATCH' });
    sim.simulator.templates.rules = [];
  });

  it('finds a template by name, so a retried create can discover what it already made', async () => {
    const created = await client().create(waba, template('find_me_later'));
    const found = await client().list(waba, { name: 'find_me_later' });
    expect(found.templates.map((t) => t.id)).toEqual([created.id]);
    const duplicate = await client().create(waba, template('find_me_later')).then(() => undefined, (e: unknown) => e);
    expect(duplicate).toBeInstanceOf(VonageRequestError);
    expect((duplicate as VonageRequestError).verdict.class).toBe('permanent');
  });

  it('uploads a header sample and creates a media-header template from its handle; a bare URL is refused, as Meta does', async () => {
    const handle = await client().uploadMedia(new Uint8Array([137, 80, 78, 71, 1, 2, 3]), 'image/png');
    expect(handle).toMatch(/^4::/);
    const withHeader = (example: string): NewProviderTemplate => ({
      ...template(`media_${example.length}`),
      components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: [example] } }, ...template('x').components],
    });
    expect((await client().create(waba, withHeader(handle))).id).toMatch(/^\d+$/);
    const byUrl = await client().create(waba, withHeader('https://cdn.example.com/a.png')).then(() => undefined, (e: unknown) => e as VonageRequestError);
    expect(byUrl).toMatchObject({ status: 400, verdict: { class: 'permanent' } });
    expect(byUrl?.message).toMatch(/header_handle/);
  });

  it('pages through a long list', async () => {
    for (let i = 0; i < 5; i++) await client().create(waba, template(`paged_${i}`));
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client().list(waba, { limit: 2, ...(after ? { after } : {}) });
      seen.push(...page.templates.map((t) => t.name));
      after = page.nextCursor;
    } while (after);
    expect(seen.filter((name) => name.startsWith('paged_')).sort()).toEqual(['paged_0', 'paged_1', 'paged_2', 'paged_3', 'paged_4']);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('classifies failures: unknown template permanent 404, wrong key permanent 401', async () => {
    const missing = await client().get(waba, '123').then(() => undefined, (e: unknown) => e as VonageRequestError);
    expect(missing).toMatchObject({ status: 404, verdict: { class: 'permanent' } });
    const stranger = makeTestAccount();
    const unauthorised = await createTemplateManagerClient({ applicationId: account.applicationId, privateKey: stranger.privateKey }, { apiHost: sim.url, timeoutMs: 5_000 })
      .list(waba).then(() => undefined, (e: unknown) => e as VonageRequestError);
    expect(unauthorised).toMatchObject({ status: 401, verdict: { class: 'permanent' } });
  });
});

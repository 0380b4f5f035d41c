// The dashboard behind the API's token: the token is traded once for a
// same-site cookie, the page and its data need it, and the data carries each
// governed portfolio and each campaign with its funnel and throughput.
import { describe, expect, it } from 'vitest';
import { CampaignsRepository } from '../../db/campaigns.ts';
import { QuotaLedger } from '../../db/quota.ts';
import { SendersRepository } from '../../db/senders.ts';
import { TemplatesRepository } from '../../db/templates.ts';
import { useApiFixture } from '../helpers/api.ts';

const fixture = useApiFixture();
const get = (url: string, headers: Record<string, string> = {}) => fixture.api.app.inject({ method: 'GET', url, headers });

describe('dashboard', () => {
  it('asks for the token, trades a valid one for an HttpOnly same-site cookie, and refuses a wrong one', async () => {
    const anonymous = await get('/ui');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).toContain('name="token"');
    expect((await get('/ui?token=not-the-token')).statusCode).toBe(401);
    expect((await get('/ui/data')).statusCode).toBe(401);

    expect((await get('/ui?token=a&token=b')).statusCode).toBe(400);
    // The form posts the token; the link npm start prints carries it once, and the log never shows it.
    const posted = await fixture.api.app.inject({ method: 'POST', url: '/ui', payload: `token=${encodeURIComponent(fixture.api.token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(posted.statusCode).toBe(303);
    const signedIn = await get(`/ui?token=${encodeURIComponent(fixture.api.token)}`);
    expect(signedIn.statusCode).toBe(303);
    expect(fixture.api.logs()).not.toContain(fixture.api.token);
    expect(fixture.api.logs()).toContain('token=[redacted]');
    expect(signedIn.headers.location).toBe('/ui'); // the token leaves the address bar and the history
    const cookie = String(signedIn.headers['set-cookie']);
    expect(cookie).toBe(String(posted.headers['set-cookie']));
    expect(cookie).not.toContain(fixture.api.token); // a value derived from the token, good for the dashboard only
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await get('/ui', { cookie: cookie.split(';')[0]! });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('id="campaigns"');
    expect((await get('/ui/data', { cookie: cookie.split(';')[0]! })).statusCode).toBe(200);
    expect((await fixture.api.request({ method: 'GET', url: '/v1/senders', headers: { authorization: '', cookie: cookie.split(';')[0]! } })).statusCode).toBe(401); // the cookie opens nothing else
  });

  it('serves each portfolio\'s standing and each campaign\'s funnel and throughput', async () => {
    const db = fixture.database.db;
    await new QuotaLedger(db).setPolicy('dash-portfolio', { sendingAllowed: true, allowance: 200, reason: null, messagingLimit: 250, windowMs: 86_400_000, serviceWindowMs: 86_400_000 });
    const sender = await new SendersRepository(db, fixture.api.secrets).create({ nickname: 'Dash', whatsappNumber: '+14155550190', apiKey: 'k', apiSecret: 's', autoReplyEnabled: false });
    const template = await new TemplatesRepository(db).create({ senderId: sender.senderId, name: 'dash_notice', language: 'en', category: 'UTILITY', body: { text: 'Hello.' } });
    const campaigns = new CampaignsRepository(db);
    const campaign = await campaigns.create({ name: '<b>Spring</b>', senderId: sender.senderId, templateId: template.templateId, audience: { kind: 'consented' }, schedule: { kind: 'now' }, warmup: false }, 'SENDING');

    // One answer serves every open dashboard for 2 s: the new rows show within that.
    type Data = { portfolios: { portfolioId: string; messagingLimit: number; allowance: number }[]; campaigns: { campaignId: string; name: string; progress: { audience: number }; throughput: { points: unknown[] } }[] };
    const data = async () => (await get('/ui/data', { authorization: `Bearer ${fixture.api.token}` })).json<Data>();
    await expect.poll(async () => (await data()).campaigns.map((c) => c.campaignId), { timeout: 5_000, interval: 250 }).toContain(campaign.campaignId);
    const answer = await data();
    expect(answer.portfolios).toContainEqual(expect.objectContaining({ portfolioId: 'dash-portfolio', messagingLimit: 250, allowance: 200 }));
    expect(answer.campaigns).toContainEqual(expect.objectContaining({ campaignId: campaign.campaignId, name: '<b>Spring</b>', progress: expect.objectContaining({ audience: 0 }), throughput: expect.objectContaining({ points: [] }) }));
  });
});

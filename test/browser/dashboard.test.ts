// The dashboard in a real (headless) Chromium, with real data: a warm-up
// campaign runs on a portfolio whose governor paces it at TIME_SCALE 1,440 (a
// simulated day is a minute, re-decided every 2.5 s), and the page draws the
// campaign's funnel and the portfolio's warm-up chart from what the engine did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { useApiFixture, useEngineWorker } from '../helpers/api.ts';
import { chromiumForTests, launchChromium, saveDom, saveScreenshot } from '../helpers/browser.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { uniqueTaskQueue } from '../helpers/temporal.ts';

const { executablePath, reason } = chromiumForTests();

describe.skipIf(executablePath === undefined)(`dashboard in Chromium${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const timeScale = 1_440;
  const appSecret = 'meta-app-secret-dashboard';
  const taskQueue = uniqueTaskQueue('dashboard');
  const fixture = useApiFixture({ meta: { appSecret }, taskQueue, timeScale });
  const sim = useSimulator({ timeScale });
  useEngineWorker(fixture, () => sim.url, taskQueue);
  const ourNumber = '447911123511';
  const wabaId = '5550511';
  const portfolioId = `5${String(Date.now()).slice(-9)}`;
  const account = makeTestAccount({ numbers: [ourNumber], wabaIds: [wabaId] });
  const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
  let apiUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
    sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
    sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
    sim.simulator.meta.define({ id: portfolioId, wabaIds: [wabaId], numbers: [ourNumber] });
    browser = await launchChromium(executablePath!);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws a running campaign\'s funnel and its portfolio\'s warm-up chart from the engine\'s data', { timeout: 90_000 }, async () => {
    const sender = await request('POST', '/v1/senders', {
      nickname: 'Dashboard', whatsappNumber: `+${ourNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId, portfolioId,
    });
    expect(sender.statusCode, sender.body).toBe(201);
    const senderId = sender.json<{ senderId: string }>().senderId;
    const template = await request('POST', '/v1/templates', { senderId, name: 'dash_hello', language: 'en', category: 'MARKETING', body: { text: 'Hello from us, glad to have you.' } });
    const templateId = template.json<{ templateId: string }>().templateId;
    expect((await request('POST', `/v1/templates/${templateId}/submit`)).statusCode).toBe(202);
    for (let i = 0; i < 120; i++) {
      const created = await request('POST', '/v1/contacts', { whatsappNumber: `+4478${String(70_000_000 + i)}`, attributes: { segment: 'dash' }, consent: { marketing: true, proof: 'double opt-in' } });
      expect(created.statusCode).toBe(201);
    }
    expect((await request('POST', '/v1/warmups', { portfolioId, quality: 'GREEN' })).statusCode).toBe(202);
    const created = await request('POST', '/v1/campaigns', { name: 'Warm-up <dashboard>', senderId, templateId, audience: { kind: 'filter', attributes: { segment: 'dash' } }, warmup: true });
    expect(created.statusCode, created.body).toBe(201);
    const { campaignId } = created.json<{ campaignId: string }>();

    // Day one's pace (a fifth of 250) goes out, and the governor's next tick has counted it.
    const progress = async () => (await request('GET', `/v1/campaigns/${campaignId}`)).json<{ status: string; progress: { sent: number; audience: number } }>();
    await expect.poll(async () => (await progress()).progress.sent, { timeout: 40_000 }).toBeGreaterThanOrEqual(50);
    await expect.poll(async () => (await request('GET', `/v1/warmups/${portfolioId}`)).json<{ usage: { rollingWindow: number } }>().usage.rollingWindow, { timeout: 20_000 }).toBeGreaterThanOrEqual(50);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${apiUrl}/ui?token=${encodeURIComponent(fixture.api.token)}`);
      expect(new URL(page.url()).search).toBe(''); // signed in, and the token left the address bar

      const campaign = page.locator(`[data-campaign="${campaignId}"]`);
      await expect.poll(() => campaign.count(), { timeout: 15_000 }).toBe(1);
      await expect.poll(async () => Number(await campaign.locator('[data-stage="sent"]').getAttribute('data-value')), { timeout: 15_000 }).toBeGreaterThanOrEqual(50);
      const shown = await progress();
      expect(Number(await campaign.locator('[data-stage="audience"]').getAttribute('data-value'))).toBe(shown.progress.audience);
      expect(await campaign.getByText('Warm-up <dashboard>').count()).toBe(1); // the name as text, never as markup
      expect(await campaign.getByRole('link', { name: /Temporal UI/ }).count()).toBe(0); // no TEMPORAL_UI_URL in this fixture: no dead link
      const rates = await campaign.locator('svg[data-chart="throughput"] rect[data-rate]').evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-rate'))));
      expect(rates.reduce((sum, rate) => sum + rate * 10, 0)).toBeGreaterThanOrEqual(50); // 10 s buckets: the sends are all there

      const portfolio = page.locator(`[data-portfolio="${portfolioId}"]`);
      const chart = portfolio.locator('svg[data-chart="warmup"]');
      await expect.poll(async () => Math.max(0, ...await chart.locator('rect[data-used]').evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-used'))))), { timeout: 15_000 }).toBeGreaterThanOrEqual(50);
      const used = await chart.locator('rect[data-used]').count();
      expect(await chart.locator('path[data-series="limit"]').count()).toBe(1);
      expect(await chart.locator('rect[data-quality="GREEN"]').count()).toBe(used); // a quality strip under every day
      expect(await portfolio.getByText(/limit 250 · allowance \d+ · used in window \d+/).count()).toBe(1);
      console.log(`[browser tests] dashboard screenshot: ${await saveScreenshot(page, 'dashboard')}`);
    } catch (error) {
      await saveScreenshot(page, 'dashboard-failure');
      await saveDom(page, 'dashboard-failure');
      throw error;
    } finally {
      await page.close();
    }
  });
});

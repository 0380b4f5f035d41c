// The Temporal Web UI, in a real (headless) Chromium: a campaign started through
// the API and run by the engine worker against the simulator is found in the
// UI's workflow list by its CampaignId search attribute, and its `progress`
// query, run from the UI's Queries tab, shows the campaign's final counts.
// The suite's shared dev server is headless, so this file starts its own with
// the Web UI on a free port.
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { campaignWorkflowId, skipReasons, type CampaignCounts } from '../../domain/campaign.ts';
import { campaignProgress, type CampaignProgress } from '../../workflows/campaign-messages.ts';
import { freePort, startDevServer, type DevServer } from '../../scripts/temporal-dev-server.ts';
import { prepareNamespace } from '../../workers/namespace.ts';
import { startTestApi, useEngineWorker, type ApiFixture } from '../helpers/api.ts';
import { chromiumForTests, launchChromium, saveDom, saveScreenshot } from '../helpers/browser.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { makeTestAccount, useSimulator } from '../helpers/simulator.ts';
import { connectTestTemporal, uniqueTaskQueue } from '../helpers/temporal.ts';

const { executablePath, reason } = chromiumForTests();

describe.skipIf(executablePath === undefined)(`Temporal Web UI in Chromium${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const taskQueue = uniqueTaskQueue('browser');
  const appSecret = 'meta-app-secret-browser';
  const fixture = {} as ApiFixture;
  let server: DevServer;
  let uiUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    const uiPort = await freePort();
    server = await startDevServer({ cliPath: inject('temporalCliPath'), port: await freePort(), uiPort });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    const connection = await Connection.connect({ address: server.address });
    await prepareNamespace(connection, 'default');
    await connection.close();
    fixture.database = await createTestDatabase();
    fixture.temporal = await connectTestTemporal(server.address);
    fixture.api = await startTestApi({ db: fixture.database.db, temporal: fixture.temporal.client, taskQueue, meta: { appSecret } });
    browser = await launchChromium(executablePath!);
  });
  afterAll(async () => {
    await browser?.close();
    await fixture.api?.app.close();
    await fixture.temporal?.close();
    await fixture.database?.cleanup();
    await server?.stop();
  });
  const sim = useSimulator();
  useEngineWorker(fixture, () => sim.url, taskQueue);

  const request = (method: 'GET' | 'POST', url: string, payload?: object) => fixture.api.request({ method, url, ...(payload ? { payload } : {}) });
  const campaignOf = async (campaignId: string) => (await request('GET', `/v1/campaigns/${campaignId}`)).json<{ status: string; progress: CampaignCounts }>();

  /** A completed campaign: 5 consented recipients sent, one skipped for a missing parameter. */
  async function completedCampaign(): Promise<{ campaignId: string; workflowId: string }> {
    const apiUrl = await fixture.api.app.listen({ port: 0, host: '127.0.0.1' });
    const ourNumber = '447911123399';
    const wabaId = '5550099';
    const account = makeTestAccount({ numbers: [ourNumber], wabaIds: [wabaId] });
    sim.simulator.accounts.register({ ...account, statusUrl: `${apiUrl}/webhooks/vonage/status`, inboundUrl: `${apiUrl}/webhooks/vonage/inbound` });
    // Meta's template verdict reaches the API as a signed webhook.
    sim.simulator.metaWebhook = { url: `${apiUrl}/webhooks/meta`, appSecret };
    const sender = await request('POST', '/v1/senders', {
      nickname: 'Browser', whatsappNumber: `+${ourNumber}`, applicationId: account.applicationId, privateKey: account.privateKey, signatureSecret: account.signatureSecret, wabaId,
    });
    expect(sender.statusCode, sender.body).toBe(201);
    const senderId = sender.json<{ senderId: string }>().senderId;
    const template = await request('POST', '/v1/templates', {
      senderId, name: 'browser_offer', language: 'en_US', category: 'MARKETING', body: { text: 'Hello {{1}}, your code {{2}} is ready.', examples: ['Ana', 'C-1'] },
    });
    expect(template.statusCode, template.body).toBe(201);
    const templateId = template.json<{ templateId: string }>().templateId;
    for (let i = 0; i < 6; i++) {
      const contact = await request('POST', '/v1/contacts', {
        whatsappNumber: `+44785${String(1_000_000 + i)}`, displayName: `Person ${i}`,
        attributes: { segment: 'browser', ...(i < 5 ? { code: `C-${i}` } : {}) },
        consent: { marketing: true, proof: 'signup form v3' },
      });
      expect(contact.statusCode, contact.body).toBe(201);
    }
    const created = await request('POST', '/v1/campaigns', {
      name: 'Browser', senderId, templateId, audience: { kind: 'filter', attributes: { segment: 'browser' } },
      parameters: [{ field: 'displayName', default: 'friend' }, { attribute: 'code' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const { campaignId, workflowId } = created.json<{ campaignId: string; workflowId: string }>();
    expect((await request('POST', `/v1/templates/${templateId}/submit`)).statusCode).toBe(202);
    await expect.poll(async () => (await campaignOf(campaignId)).status, { timeout: 40_000 }).toBe('COMPLETED');
    expect((await campaignOf(campaignId)).progress).toMatchObject({ audience: 6, sent: 5, skipped: 1, pending: 0 });
    return { campaignId, workflowId };
  }

  /** Opens `url` until `target` shows (the list reads Temporal's visibility store, which may lag a moment behind). */
  async function openUntilVisible(page: Page, url: string, target: Locator, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await page.goto(url);
      try {
        await target.waitFor({ state: 'visible', timeout: 10_000 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  it('lists the campaign by its CampaignId and runs its progress query from the Queries tab', { timeout: 150_000 }, async () => {
    const { campaignId, workflowId } = await completedCampaign();
    expect(workflowId).toBe(campaignWorkflowId(campaignId));
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(30_000);
    try {
      // The workflows list, filtered by our search attribute.
      const listUrl = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`CampaignId="${campaignId}"`)}`;
      const row = page.getByRole('row').filter({ hasText: workflowId });
      const link = row.getByRole('link', { name: workflowId, exact: true });
      // The list reflects the visibility store, which may still show the run as Running for a moment: reload until Completed.
      await openUntilVisible(page, listUrl, row.getByText('Completed', { exact: true }), 60_000);
      expect(await page.getByRole('row').filter({ hasText: 'campaign/' }).count()).toBe(1); // only ours matches
      await link.waitFor({ state: 'visible' });
      await saveScreenshot(page, '01-workflows-list');

      // Its page, then the Queries tab: pick `progress` and run it.
      await link.click();
      await page.getByRole('heading', { level: 1, name: workflowId }).waitFor({ state: 'visible' });
      await saveScreenshot(page, '02-workflow-detail');
      await page.getByRole('tab', { name: 'Queries' }).click();
      const queryType = page.getByLabel('Query Type');
      await page.locator('button', { has: queryType }).click();
      await page.getByRole('option', { name: 'progress', exact: true }).click();
      await expect.poll(() => queryType.inputValue()).toBe('progress');
      await page.getByRole('button', { name: 'Run Query' }).click();

      // The answer: the workflow's own progress, as the SDK's query returns it.
      const result = page.getByRole('textbox', { name: 'Query Result' });
      await expect.poll(() => result.innerText(), { timeout: 30_000 }).toContain('"status": "COMPLETED"');
      const text = await result.innerText();
      expect(text).toContain('"sent": 5');
      const shown = JSON.parse(text) as CampaignProgress;
      expect(shown).toMatchObject({ campaignId, status: 'COMPLETED', audience: 6, sent: 5, pending: 0, failed: 0, skipped: 1, skippedByReason: { [`${skipReasons.missingParameter}: 2`]: 1 } });
      expect(shown).toEqual(await fixture.temporal.client.workflow.getHandle(workflowId).query(campaignProgress));
      await saveScreenshot(page, '03-progress-query');
    } catch (error) {
      // What the page looked like when a locator missed: screenshot and DOM.
      await saveScreenshot(page, 'failure').catch(() => undefined);
      await saveDom(page, 'failure').catch(() => undefined);
      throw error;
    } finally {
      await page.close();
    }
  });
});

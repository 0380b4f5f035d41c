// GET /ui: a small dashboard for operators, behind the API's token. A browser
// cannot send a bearer header on navigation, so /ui?token=… trades the token
// for an HttpOnly, same-site cookie and redirects to a clean URL; the page then
// reads /ui/data (same cookie) every few seconds and draws plain SVG charts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { CampaignsRepository } from '../db/campaigns.ts';
import type { Db } from '../db/database.ts';
import { QuotaLedger } from '../db/quota.ts';
import { campaignWorkflowId } from '../domain/campaign.ts';
import { warmupWorkflowId } from './warmups.ts';
import { warmupState, type WarmupState } from '../workflows/warmup-messages.ts';
import { dashboardPage, tokenPage } from './dashboard-page.ts';

export interface DashboardOptions {
  db: Db;
  campaigns: CampaignsRepository;
  temporal: Client;
  apiToken: string;
  /** The Temporal Web UI's base URL, for links to runs; absent: no links. */
  temporalUiUrl: string | undefined;
}

const COOKIE = 'wce_token';
const digest = (value: string) => createHash('sha256').update(value).digest();

function cookieToken(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** How many campaigns the dashboard shows, newest first. */
const CAMPAIGNS_SHOWN = 12;
/** Throughput is drawn in buckets of this many seconds, at most this many of them. */
const BUCKET_SECONDS = 10;
const BUCKETS_SHOWN = 180;

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const expected = digest(options.apiToken);
  const valid = (token: string | undefined) => token !== undefined && timingSafeEqual(digest(token), expected);
  const authorised = (request: FastifyRequest) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    return valid(bearer) || valid(cookieToken(request));
  };
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

  app.get<{ Querystring: { token?: string } }>('/ui', { schema: { hide: true } }, async (request, reply) => {
    const given = request.query.token;
    if (given !== undefined) {
      if (!valid(given)) return html(reply, 401, tokenPage('That token is not valid.'));
      reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/ui`);
      return reply.redirect('/ui', 303);
    }
    if (!authorised(request)) return html(reply, 401, tokenPage(null));
    return html(reply, 200, dashboardPage);
  });

  app.get('/ui/data', { schema: { hide: true } }, async (request, reply) => {
    if (!authorised(request)) return reply.code(401).send({ title: 'Unauthorized' });
    reply.header('cache-control', 'no-store');
    const namespace = options.temporal.options.namespace;
    const runLink = (query: string) => (options.temporalUiUrl ? `${options.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}` : null);
    const [portfolios, campaigns] = await Promise.all([portfolioPanels(), campaignPanels()]);
    return { generatedAt: new Date().toISOString(), portfolios, campaigns };

    async function portfolioPanels() {
      const standings = await new QuotaLedger(options.db).standings();
      return Promise.all(standings.map(async (standing) => {
        // The governor's own history of days; a portfolio whose governor is gone still shows its ledger.
        const state: WarmupState | null = await options.temporal.workflow.getHandle(warmupWorkflowId(standing.portfolioId)).query(warmupState).catch(() => null);
        return {
          ...standing,
          status: state?.status ?? null,
          targetLimit: state?.targetLimit ?? null,
          days: [
            ...(state?.history ?? []).map((day) => ({ startedAtMs: day.startedAtMs, limit: day.limit, quality: day.quality, allowance: day.allowance, used: day.used })),
            ...(state ? [{ startedAtMs: state.dayStartedAtMs, limit: state.limit, quality: state.quality, allowance: state.decision.allowance, used: state.usage.window }] : []),
          ],
          link: runLink(`PortfolioId="${standing.portfolioId}"`),
        };
      }));
    }

    async function campaignPanels() {
      const { items } = await options.campaigns.list(CAMPAIGNS_SHOWN);
      return Promise.all(items.map(async (campaign) => {
        const { rows } = await sql<{ bucket: number; sent: number }>`
          select floor(extract(epoch from sent_at) / ${BUCKET_SECONDS})::bigint * ${BUCKET_SECONDS} as bucket, count(*)::int as sent
          from campaign_messages where campaign_id = ${campaign.campaignId}::uuid and sent_at is not null
          group by 1 order by 1 desc limit ${BUCKETS_SHOWN}`.execute(options.db);
        return {
          campaignId: campaign.campaignId,
          name: campaign.name,
          status: campaign.status,
          statusReason: campaign.statusReason,
          progress: await options.campaigns.counts(campaign.campaignId),
          throughput: { bucketSeconds: BUCKET_SECONDS, points: rows.reverse().map((row) => ({ at: Number(row.bucket) * 1000, sent: Number(row.sent) })) },
          workflowId: campaignWorkflowId(campaign.campaignId),
          link: runLink(`CampaignId="${campaign.campaignId}"`),
        };
      }));
    }
  });
};

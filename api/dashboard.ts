// GET /ui: a small dashboard for operators, behind the API's token. A browser
// cannot send a bearer header on navigation, so the token is traded once (the
// sign-in form's POST, or the /ui?token=… link npm start prints, kept out of
// the logs) for an HttpOnly, same-site cookie holding a value derived from it,
// and the browser is sent on to a clean URL; the page then reads /ui/data
// (same cookie) every few seconds and draws plain SVG charts.
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { CampaignsRepository } from '../db/campaigns.ts';
import type { Db } from '../db/database.ts';
import { QuotaLedger } from '../db/quota.ts';
import { campaignWorkflowId } from '../domain/campaign.ts';
import { warmupWorkflowId } from './warmups.ts';
import { warmupState, type WarmupState } from '../workflows/warmup-messages.ts';
import { bearerToken, secretMatcher } from './auth.ts';
import { dashboardPage, tokenPage } from './dashboard-page.ts';

export interface DashboardOptions {
  db: Db;
  campaigns: CampaignsRepository;
  temporal: Client;
  apiToken: string;
  /** The Temporal Web UI's base URL, for links to runs; absent: no links. */
  temporalUiUrl: string | undefined;
}

const COOKIE = 'wce_session';

function cookieValue(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

/** How many campaigns the dashboard shows, newest first. */
const CAMPAIGNS_SHOWN = 12;
/** Throughput is drawn in buckets of this many seconds, at most this many of them. */
const BUCKET_SECONDS = 10;
const BUCKETS_SHOWN = 180;
/** How long one /ui/data answer is reused, and how long a governor may take to answer its query. */
const DATA_REUSE_MS = 2_000;
const GOVERNOR_QUERY_MS = 2_000;

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const valid = secretMatcher(options.apiToken);
  // The cookie holds a value derived from the token, not the token: it opens the dashboard and nothing else.
  const session = createHmac('sha256', options.apiToken).update('wce dashboard session').digest('base64url');
  const validSession = secretMatcher(session);
  const authorised = (request: FastifyRequest) => valid(bearerToken(request.headers.authorization)) || validSession(cookieValue(request));
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const signIn = (request: FastifyRequest, reply: FastifyReply, token: unknown) => {
    if (!valid(token)) return html(reply, typeof token === 'string' ? 401 : 400, tokenPage('That token is not valid.'));
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/ui${secure}`);
    return reply.redirect('/ui', 303);
  };

  app.get<{ Querystring: { token?: unknown } }>('/ui', { schema: { hide: true } }, async (request, reply) => {
    if (request.query.token !== undefined) return signIn(request, reply, request.query.token);
    if (!authorised(request)) return html(reply, 401, tokenPage(null));
    return html(reply, 200, dashboardPage);
  });

  // The sign-in form posts the token, so it stays out of the address bar, the history and the logs.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.post<{ Body: { token?: unknown } }>('/ui', { schema: { hide: true } }, async (request, reply) => signIn(request, reply, request.body?.token));

  // Every open dashboard asks every 5 s: one answer serves them all for a couple of seconds.
  let lastAnswer: { atMs: number; data: Promise<object> } | undefined;
  app.get('/ui/data', { schema: { hide: true } }, async (request, reply) => {
    if (!authorised(request)) return reply.code(401).send({ title: 'Unauthorized' });
    reply.header('cache-control', 'no-store');
    if (!lastAnswer || performance.now() - lastAnswer.atMs > DATA_REUSE_MS) {
      lastAnswer = { atMs: performance.now(), data: dashboardData() };
      lastAnswer.data.catch(() => (lastAnswer = undefined));
    }
    return lastAnswer.data;
  });

  async function dashboardData(): Promise<object> {
    const namespace = options.temporal.options.namespace;
    const runLink = (query: string) => (options.temporalUiUrl ? `${options.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}` : null);
    const [portfolios, campaigns] = await Promise.all([portfolioPanels(), campaignPanels()]);
    return { generatedAt: new Date().toISOString(), portfolios, campaigns };

    /** The governor's state, or null when it is gone or does not answer in time (a worker down must not hang the page). */
    function governorState(portfolioId: string): Promise<WarmupState | null> {
      const query = options.temporal.workflow.getHandle(warmupWorkflowId(portfolioId)).query(warmupState);
      const late = new Promise<null>((resolve) => setTimeout(resolve, GOVERNOR_QUERY_MS, null).unref());
      return Promise.race([query, late]).catch(() => null);
    }

    async function portfolioPanels() {
      const standings = await new QuotaLedger(options.db).standings();
      return Promise.all(standings.map(async (standing) => {
        // The governor's own history of days; a portfolio whose governor is gone still shows its ledger.
        const state = await governorState(standing.portfolioId);
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
  }
};

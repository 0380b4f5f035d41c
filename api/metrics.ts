// GET /metrics: the API's own metrics in Prometheus text format, behind the
// API token. Request latency and webhook intake are counted as they happen;
// the portfolios' limits, quality and quota use are read from the database
// (as their governors last recorded them) at each scrape, so every API
// replica reports the same truth. Messages sent and failed are
// counted where they are sent: the worker's metrics endpoint.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PortfolioStanding } from '../db/quota.ts';
import { requireBearerToken } from './auth.ts';

export interface ApiMetrics {
  registry: Registry;
  /** Reads the portfolios' standings for the scrape about to be answered. */
  readStandings(): Promise<void>;
  webhookReceipts: Counter<'kind' | 'outcome'>;
  webhookSignatureFailures: Counter<'kind'>;
  webhookLag: Histogram<'kind'>;
  messageStatuses: Counter<'status'>;
}

const qualityLevels = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'] as const;

/** One registry per API instance (tests build several in one process). */
export function createApiMetrics(readStandings: () => Promise<PortfolioStanding[]>): ApiMetrics {
  const registry = new Registry();
  // The portfolio gauges share one read, made as each scrape begins.
  let current: PortfolioStanding[] = [];
  const standings = () => current;
  collectDefaultMetrics({ register: registry });

  const byPortfolio = (name: string, help: string, value: (standing: PortfolioStanding) => number | null) => new Gauge({
    name, help, labelNames: ['portfolio_id'], registers: [registry],
    collect() {
      this.reset();
      for (const standing of standings()) {
        const measured = value(standing);
        if (measured !== null) this.set({ portfolio_id: standing.portfolioId }, measured);
      }
    },
  });
  byPortfolio('wce_portfolio_messaging_limit', 'Unique users the portfolio may message in a rolling 24 h, per Meta (absent when unlimited).', (s) => s.messagingLimit);
  byPortfolio('wce_portfolio_allowance', 'Unique users the warm-up governor lets campaigns reach in the rolling window now (absent when uncapped).', (s) => s.allowance);
  byPortfolio('wce_portfolio_quota_used', 'Distinct recipients counted against the portfolio in its rolling window.', (s) => s.used);
  byPortfolio('wce_portfolio_sending_allowed', '1 while the governor lets the portfolio send business-initiated messages, else 0.', (s) => (s.sendingAllowed ? 1 : 0));
  new Gauge({
    name: 'wce_portfolio_quality', help: 'The portfolio\'s quality rating: 1 for the current level, 0 for the others.',
    labelNames: ['portfolio_id', 'quality'], registers: [registry],
    collect() {
      this.reset();
      for (const standing of standings()) {
        for (const level of qualityLevels) this.set({ portfolio_id: standing.portfolioId, quality: level }, standing.quality === level ? 1 : 0);
      }
    },
  });

  return {
    registry,
    async readStandings() {
      current = await readStandings();
    },
    webhookReceipts: new Counter({ name: 'wce_webhook_receipts_total', help: 'Provider webhooks received, by kind (status, inbound, meta) and outcome (accepted, rejected).', labelNames: ['kind', 'outcome'], registers: [registry] }),
    webhookSignatureFailures: new Counter({ name: 'wce_webhook_signature_failures_total', help: 'Webhooks refused with 401 because their signature did not verify.', labelNames: ['kind'], registers: [registry] }),
    webhookLag: new Histogram({
      name: 'wce_webhook_to_database_lag_seconds', help: 'From the provider\'s event timestamp to the event stored in our database.',
      labelNames: ['kind'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [registry],
    }),
    messageStatuses: new Counter({ name: 'wce_message_statuses_total', help: 'Delivery statuses reported by status webhooks (submitted, delivered, read, rejected, undeliverable…).', labelNames: ['status'], registers: [registry] }),
  };
}

/** Request latency for every route, and the /metrics route itself. */
export function serveMetrics(app: FastifyInstance, metrics: ApiMetrics, apiToken: string): void {
  const latency = new Histogram({
    name: 'wce_http_request_duration_seconds', help: 'API request latency by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, never the raw URL: ids in paths would make a series per resource.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    latency.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // Behind the API token (Prometheus sends it with `authorization: { credentials_file: … }`): the series name
  // portfolios and campaigns.
  void app.register(async (scope) => {
    requireBearerToken(scope, apiToken);
    scope.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      await metrics.readStandings();
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  });
}

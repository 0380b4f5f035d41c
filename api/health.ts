// GET /healthz: are the two things every request depends on reachable?
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Checks get the deadline to honour themselves (a gRPC deadline also ends the
 * client's retries); the timer in runCheck is only a backstop a little later, so
 * a check is never abandoned while its own retries are still scheduled.
 */
export type HealthCheck = (deadlineMs: number) => Promise<void>;
const BACKSTOP_GRACE_MS = 3_000;

export interface HealthOptions {
  checks: Record<'database' | 'temporal', HealthCheck>;
  timeoutMs?: number;
}

const checkResult = z.object({ status: z.enum(['up', 'down']), error: z.string().optional() });
const healthSchema = z
  .object({ status: z.enum(['up', 'down']), checks: z.record(z.string(), checkResult) })
  .meta({ id: 'Health' });

async function runCheck(name: string, check: HealthCheck, timeoutMs: number, log: FastifyBaseLogger): Promise<z.infer<typeof checkResult>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + BACKSTOP_GRACE_MS);
  });
  try {
    await Promise.race([check(Date.now() + timeoutMs), timeout]);
    return { status: 'up' };
  } catch (error) {
    // /healthz is public: the detail (hosts, users) goes to the log, not the answer.
    log.warn({ err: error, check: name }, 'health check failed');
    return { status: 'down', error: 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, options) => {
  app.get('/healthz', {
    schema: {
      summary: 'Database and Temporal reachability',
      tags: ['operations'],
      response: { 200: healthSchema, 503: healthSchema },
    },
  }, async (request, reply) => {
    const names = Object.keys(options.checks) as (keyof HealthOptions['checks'])[];
    const results = await Promise.all(names.map((name) => runCheck(name, options.checks[name], options.timeoutMs ?? 2000, request.log)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
    const up = results.every((result) => result.status === 'up');
    return reply.code(up ? 200 : 503).send({ status: up ? 'up' : 'down', checks });
  });
};

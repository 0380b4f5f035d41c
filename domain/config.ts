// Process configuration, parsed once from the environment at start-up so a
// missing or malformed variable stops the process with a message naming it.
// Temporal connection settings are not here: @temporalio/envconfig reads them.
import { z } from 'zod';
import { defaultKeywords, parseKeywordList, type KeywordSettings } from './inbound.ts';

const port = z.coerce.number().int().min(0).max(65_535);

const apiEnvSchema = z.object({
  API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  ENCRYPTION_KEY: z.string().min(1, 'is required (32 random bytes, base64: openssl rand -base64 32)'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  META_APP_SECRET: z.string().min(1).optional(),
  META_VERIFY_TOKEN: z.string().min(1).optional(),
  TEMPLATE_APPROVAL_TIMEOUT_HOURS: z.coerce.number().positive().default(168),
  TEMPLATE_POLL_INITIAL_SECONDS: z.coerce.number().positive().default(60),
  TEMPLATE_POLL_MAX_SECONDS: z.coerce.number().positive().default(1800),
  OPT_OUT_KEYWORDS: z.string().optional(),
  OPT_IN_KEYWORDS: z.string().optional(),
  OPT_OUT_CONFIRMATION: z.string().min(1).max(4096).optional(),
  /** Shortens the warm-up's windows and days (and the simulator's clock) for demos; production uses 1. */
  TIME_SCALE: z.coerce.number().min(1).max(100_000).default(1),
  /** How long a campaign send whose outcome is unknown waits for a status webhook before it is sent again. */
  CAMPAIGN_RECONCILE_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  /** The Temporal Web UI (e.g. http://127.0.0.1:8233 or https://cloud.temporal.io): the dashboard links each run there. */
  TEMPORAL_UI_URL: z.url().optional(),
});

const workerEnvSchema = z.object({
  ENCRYPTION_KEY: apiEnvSchema.shape.ENCRYPTION_KEY,
  METRICS_PORT: port.default(9464),
  METRICS_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: apiEnvSchema.shape.LOG_LEVEL,
  /** Vonage API base URL: production by default, the simulator in the embedded stack. */
  VONAGE_API_HOST: z.url().default('https://api.nexmo.com'),
  /** Past this a send is ambiguous: reconciled through client_ref, never blindly resent. */
  VONAGE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Meta's Graph API, polled by the warm-up governor for limit and quality (Vonage may not forward Meta's webhooks). */
  META_GRAPH_URL: z.url().default('https://graph.facebook.com/v23.0'),
  /** A system-user token with whatsapp_business_management; without it the governor relies on webhooks alone. */
  META_ACCESS_TOKEN: z.string().min(1).optional(),
});

/**
 * Every variable each process reads through its schema, for checks that a
 * deployment (docker-compose.yml) sets only names the code knows.
 */
export const apiConfigKeys = Object.keys(apiEnvSchema.shape) as (keyof typeof apiEnvSchema.shape)[];
export const workerConfigKeys = Object.keys(workerEnvSchema.shape) as (keyof typeof workerEnvSchema.shape)[];

/** The variables a process cannot start without: no default and not optional. */
export const requiredApiConfigKeys = requiredKeys(apiEnvSchema);
export const requiredWorkerConfigKeys = requiredKeys(workerEnvSchema);

function requiredKeys(schema: z.ZodObject): string[] {
  // An absent variable arrives as undefined: a key whose schema rejects undefined is required.
  return Object.entries(schema.shape).filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success).map(([key]) => key);
}

export type ApiConfig = z.infer<typeof apiEnvSchema>;
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export class ConfigError extends Error {}

function parse<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>): T {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export const parseApiConfig = (env: Record<string, string | undefined>): ApiConfig => parse(apiEnvSchema, env);

/** Opt-out/opt-in keywords (comma-separated lists) and the confirmation text. */
export function keywordsFrom(config: ApiConfig): KeywordSettings {
  return {
    optOut: parseKeywordList(config.OPT_OUT_KEYWORDS, defaultKeywords.optOut),
    optIn: parseKeywordList(config.OPT_IN_KEYWORDS, defaultKeywords.optIn),
    optOutConfirmation: config.OPT_OUT_CONFIRMATION ?? defaultKeywords.optOutConfirmation,
  };
}

/** What every campaign the API starts is given. */
export function campaignOptionsFrom(config: ApiConfig): { reconcileDeadlineMs: number } {
  return { reconcileDeadlineMs: config.CAMPAIGN_RECONCILE_SECONDS * 1000 };
}

/** The approval workflow's patience, from the API's configuration. */
export function approvalTimingFrom(config: ApiConfig) {
  return {
    approvalTimeoutMs: config.TEMPLATE_APPROVAL_TIMEOUT_HOURS * 3600_000,
    pollInitialMs: config.TEMPLATE_POLL_INITIAL_SECONDS * 1000,
    pollMaxMs: config.TEMPLATE_POLL_MAX_SECONDS * 1000,
    lifecyclePollMs: config.TEMPLATE_POLL_MAX_SECONDS * 1000,
  };
}
export const parseWorkerConfig = (env: Record<string, string | undefined>): WorkerConfig => parse(workerEnvSchema, env);

/** Where the worker polls Meta, if it may. */
export function metaGraphFrom(config: WorkerConfig): { baseUrl: string; accessToken: string } | undefined {
  return config.META_ACCESS_TOKEN ? { baseUrl: config.META_GRAPH_URL, accessToken: config.META_ACCESS_TOKEN } : undefined;
}

// wce doctor: is everything the engine needs in place? Configuration, the
// API and what it says about its database and Temporal, the token, and
// whether the Vonage API (or the local simulator) answers from here.
import { ApiClient, describeNetworkError } from '../api-client.ts';
import type { Command } from '../command.ts';
import { parseApiUrl, type CliConfig } from '../config.ts';
import { out, printJson } from '../output.ts';

type Outcome = 'ok' | 'failed' | 'skipped';

interface Check {
  name: string;
  outcome: Outcome;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

const TIMEOUT_MS = 5_000;
const defaultVonageHost = 'https://api.nexmo.com';
const symbols: Record<Outcome, string> = { ok: '✓', failed: '✗', skipped: '–' };

/** Any HTTP answer within the timeout counts: reachability, not authorization. */
async function reach(url: string): Promise<{ answered: true; status: number } | { answered: false; reason: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    await response.body?.cancel();
    return { answered: true, status: response.status };
  } catch (error) {
    return { answered: false, reason: describeNetworkError(error) };
  }
}

/** The engine's Vonage simulator answers its control API; real Vonage does not. */
async function isSimulator(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/_sim/stats`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await response.json()) as { accepted?: unknown };
    return response.ok && typeof body.accepted === 'number';
  } catch {
    return false;
  }
}

async function checkVonage(env: NodeJS.ProcessEnv): Promise<Check> {
  const name = 'Vonage';
  const configured = env.VONAGE_API_HOST?.replace(/\/+$/, '');
  if (!configured) {
    // npm start without VONAGE_API_HOST runs the simulator; production workers default to api.nexmo.com.
    const simulator = `http://${env.SIMULATOR_HOST ?? '127.0.0.1'}:${env.SIMULATOR_PORT ?? '4010'}`;
    if (await isSimulator(simulator)) return { name, outcome: 'ok', detail: `the Vonage simulator answers at ${simulator} (VONAGE_API_HOST unset, as with npm start: no message leaves this machine)` };
  }
  const host = configured ?? defaultVonageHost;
  const answer = await reach(host);
  if (!answer.answered) {
    return {
      name, outcome: 'failed', detail: `${host} did not answer within ${TIMEOUT_MS / 1000} s (${answer.reason})`,
      fix: configured ? 'check VONAGE_API_HOST (the worker sends there) and the network, proxy or firewall on the way'
        : `check the network, proxy or firewall to ${defaultVonageHost}; or run the simulator (npm start without VONAGE_API_HOST) and set VONAGE_API_HOST to it`,
    };
  }
  if (await isSimulator(host)) return { name, outcome: 'ok', detail: `the Vonage simulator answers at ${host}` };
  return { name, outcome: 'ok', detail: `the Vonage API answers at ${host} (HTTP ${answer.status})${configured ? '' : ' (VONAGE_API_HOST unset: the default)'}` };
}

async function checkApi(config: CliConfig): Promise<Check[]> {
  const checks: Check[] = [];
  const parsed = parseApiUrl(config.apiUrl);
  checks.push(parsed.ok
    ? { name: 'API URL', outcome: 'ok', detail: `${parsed.url} (${config.apiUrlSource})` }
    : { name: 'API URL', outcome: 'failed', detail: parsed.reason, fix: 'set WCE_API_URL or --api-url to the API\'s base URL, e.g. http://127.0.0.1:3000' });
  checks.push(config.token
    ? { name: 'API token', outcome: 'ok', detail: `present (from ${config.tokenSource})` }
    : { name: 'API token', outcome: 'failed', detail: 'none found', fix: 'set WCE_API_TOKEN or pass --token with the API\'s API_TOKEN (npm start writes it to .data/api-token)' });
  if (!parsed.ok) {
    for (const name of ['API', 'database', 'Temporal', 'token accepted']) checks.push({ name, outcome: 'skipped', detail: 'no usable API URL' });
    return checks;
  }

  const api = new ApiClient(parsed.url, config.token);
  let health: { status?: string; checks?: Record<string, { status?: string }> } | undefined;
  try {
    const response = await api.fetch('GET', '/healthz', { auth: false, timeoutMs: TIMEOUT_MS });
    const text = await response.text();
    try {
      health = JSON.parse(text) as typeof health;
    } catch {
      health = undefined;
    }
    if (!health?.checks) {
      checks.push({ name: 'API', outcome: 'failed', detail: `${parsed.url}/healthz answered HTTP ${response.status} without the engine's health report`, fix: 'is WCE_API_URL the engine\'s API and not another service?' });
    } else {
      checks.push({ name: 'API', outcome: 'ok', detail: `answers at ${parsed.url} (/healthz: ${health.status ?? 'unknown'})` });
    }
  } catch (error) {
    checks.push({ name: 'API', outcome: 'failed', detail: `no answer from ${parsed.url} (${describeNetworkError(error instanceof Error ? error.cause : error)})`, fix: 'start it (npm start, or npm run api), or point WCE_API_URL / --api-url at it' });
  }
  if (!health?.checks) {
    for (const name of ['database', 'Temporal', 'token accepted']) checks.push({ name, outcome: 'skipped', detail: 'the API did not answer' });
    return checks;
  }

  const part = (name: string, key: string, fix: string): Check => {
    const status = health.checks?.[key]?.status;
    return status === 'up' ? { name, outcome: 'ok', detail: 'up (the API reaches it)' }
      : { name, outcome: 'failed', detail: status ? `${status}: the API cannot reach it` : 'not reported by /healthz', fix };
  };
  checks.push(part('database', 'database', 'check DATABASE_URL of the API and that the Postgres server is up; the API\'s log has the error'));
  checks.push(part('Temporal', 'temporal', 'check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (and TLS or API key) of the API and that the Temporal server is up; the API\'s log has the error'));

  if (!config.token) {
    checks.push({ name: 'token accepted', outcome: 'skipped', detail: 'no token to try' });
    return checks;
  }
  try {
    const response = await api.fetch('GET', '/v1/campaigns', { query: { limit: 1 }, timeoutMs: TIMEOUT_MS });
    await response.body?.cancel();
    if (response.ok) checks.push({ name: 'token accepted', outcome: 'ok', detail: 'GET /v1/campaigns answered 200' });
    else if (response.status === 401) checks.push({ name: 'token accepted', outcome: 'failed', detail: 'the API refused the token (401)', fix: `use the API's API_TOKEN (npm start: .data/api-token); this one came from ${config.tokenSource}` });
    else checks.push({ name: 'token accepted', outcome: 'failed', detail: `GET /v1/campaigns answered HTTP ${response.status}`, fix: 'the API\'s log says why' });
  } catch (error) {
    checks.push({ name: 'token accepted', outcome: 'failed', detail: `no answer (${describeNetworkError(error instanceof Error ? error.cause : error)})`, fix: 'the API stopped answering; check it is still running' });
  }
  return checks;
}

export const doctor: Command = {
  words: ['doctor'],
  summary: 'check the configuration, the API, its database and Temporal, the token, and Vonage reachability',
  usage: '[--json]',
  options: {},
  optionHelp: [],
  notes: [
    'Vonage: VONAGE_API_HOST if set (default https://api.nexmo.com); when unset, the local simulator',
    '(SIMULATOR_HOST:SIMULATOR_PORT, default 127.0.0.1:4010) counts if it answers. Any HTTP answer within 5 s is reachable.',
    'Exit code 0 when every check passed, 1 otherwise.',
  ],
  examples: ['wce doctor', 'WCE_API_URL=https://engine.example.com WCE_API_TOKEN=… wce doctor'],
  positionals: { min: 0, max: 0 },

  async run({ json, config }) {
    const [apiChecks, vonage] = await Promise.all([checkApi(config), checkVonage(process.env)]);
    const checks = [...apiChecks, vonage];
    const healthy = checks.every((check) => check.outcome === 'ok');
    if (json) {
      printJson({ healthy, checks });
    } else {
      const width = Math.max(...checks.map((check) => check.name.length));
      for (const check of checks) {
        out(`${symbols[check.outcome]} ${check.name.padEnd(width)}  ${check.detail}`);
        if (check.outcome === 'failed' && check.fix) out(`  ${' '.repeat(width)}  → ${check.fix}`);
      }
      out(healthy ? '\nEverything answers.' : `\n${checks.filter((c) => c.outcome === 'failed').length} check(s) failed.`);
    }
    return healthy ? 0 : 1;
  },
};

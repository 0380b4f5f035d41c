// Where the API is and which token to present: flags first, then the
// environment, then what `npm start` left in .data/. Nothing here talks to
// the network; `wce doctor` reports what was resolved and from where.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const defaultApiUrl = 'http://127.0.0.1:3000';

export interface CliConfig {
  apiUrl: string;
  apiUrlSource: string;
  token: string | undefined;
  tokenSource: string | undefined;
}

/** `npm start` writes the token to <DATA_DIR>/api-token (default .data/, in the project). */
function tokenFileCandidates(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const projectRoot = resolve(import.meta.dirname, '..');
  const candidates = env.DATA_DIR ? [resolve(cwd, env.DATA_DIR, 'api-token')] : [];
  candidates.push(join(cwd, '.data', 'api-token'), join(projectRoot, '.data', 'api-token'));
  return [...new Set(candidates)];
}

export function resolveConfig(flags: { apiUrl?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliConfig {
  const [apiUrl, apiUrlSource] = flags.apiUrl ? [flags.apiUrl, '--api-url']
    : env.WCE_API_URL ? [env.WCE_API_URL, 'WCE_API_URL'] : [defaultApiUrl, 'default'];
  if (flags.token) return { apiUrl, apiUrlSource, token: flags.token, tokenSource: '--token' };
  if (env.WCE_API_TOKEN) return { apiUrl, apiUrlSource, token: env.WCE_API_TOKEN, tokenSource: 'WCE_API_TOKEN' };
  for (const file of tokenFileCandidates(env, cwd)) {
    if (!existsSync(file)) continue;
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { apiUrl, apiUrlSource, token, tokenSource: file };
  }
  return { apiUrl, apiUrlSource, token: undefined, tokenSource: undefined };
}

/** The API's base URL without a trailing slash, or why it cannot be one. */
export function parseApiUrl(value: string): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: `"${value}" is not a URL (e.g. ${defaultApiUrl})` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `"${value}" must be an http:// or https:// URL` };
  if (url.search || url.hash) return { ok: false, reason: `"${value}" must be a base URL, without ? or #` };
  return { ok: true, url: url.href.replace(/\/+$/, '') };
}

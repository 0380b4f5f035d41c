// Finds a Chromium for the browser tests (Playwright's playwright-core drives it;
// no Playwright browser download) and, when there is none, installs Debian's
// `chromium` package with apt-get. Never fails the caller: it answers with the
// executable's path or with the reason there is none, and the browser tests
// skip, saying why.
//
//   npx node scripts/ensure-chromium.ts            find, else install
//   npx node scripts/ensure-chromium.ts --no-install  find only
//
// Order: CHROMIUM_PATH, `chromium` and `chromium-browser` on PATH, /usr/bin/chromium.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ChromiumFound {
  path: string;
  /** Where it was found: `CHROMIUM_PATH`, `PATH (chromium)`, `/usr/bin/chromium`. */
  source: string;
  /** `chromium --version`, when it answers. */
  version?: string;
}

export interface ChromiumResult {
  found?: ChromiumFound;
  /** Set when nothing was found (and, if asked, installing failed): why. */
  reason?: string;
  /** True when this call installed it. */
  installed: boolean;
}

export interface EnsureChromiumOptions {
  /** Try apt-get when nothing is found (default true). */
  install?: boolean;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
  /** apt-get's output: shown ('inherit', default) or kept and shown only on failure ('pipe'). */
  aptOutput?: 'inherit' | 'pipe';
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function versionOf(path: string): string | undefined {
  const answer = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return answer.status === 0 ? answer.stdout.trim() : undefined;
}

/** Looks only; installs nothing. `notes` says which places were looked at and why they did not count. */
export function findChromium(notes: string[] = []): ChromiumFound | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  const candidates: { path: string | undefined; source: string }[] = [];
  if (fromEnv) {
    if (isExecutableFile(fromEnv)) candidates.push({ path: fromEnv, source: 'CHROMIUM_PATH' });
    else notes.push(`CHROMIUM_PATH=${fromEnv} is not an executable file; looking elsewhere`);
  }
  candidates.push(
    { path: onPath('chromium'), source: 'PATH (chromium)' },
    { path: onPath('chromium-browser'), source: 'PATH (chromium-browser)' },
    { path: isExecutableFile('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined, source: '/usr/bin/chromium' },
  );
  for (const { path, source } of candidates) {
    if (!path) continue;
    const version = versionOf(path);
    if (version === undefined) {
      notes.push(`${path} (${source}) does not answer --version; skipping it`);
      continue;
    }
    return { path, source, version };
  }
  notes.push(`${fromEnv ? '' : 'no CHROMIUM_PATH, '}no chromium or chromium-browser on PATH, no executable /usr/bin/chromium`);
  return undefined;
}

interface Runner {
  run(args: string[]): { ok: boolean; output: string };
  describe: string;
}

/** apt-get as root, or through `sudo -n` (never a password prompt); undefined with the reason otherwise. */
function aptRunner(options: EnsureChromiumOptions): Runner | { reason: string } {
  if (process.platform !== 'linux') return { reason: `installing needs Debian's apt-get; this is ${process.platform}` };
  const aptGet = onPath('apt-get');
  if (!aptGet) return { reason: 'no apt-get on this machine (not Debian/Ubuntu): install Chromium yourself and set CHROMIUM_PATH' };
  const root = process.getuid?.() === 0;
  const sudo = root ? undefined : onPath('sudo');
  if (!root && !sudo) return { reason: 'not root and no sudo: run `apt-get install -y --no-install-recommends chromium` as root, or set CHROMIUM_PATH' };
  const spawnOptions: SpawnSyncOptions = {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', options.aptOutput ?? 'inherit', options.aptOutput ?? 'inherit'],
    encoding: 'utf8',
    timeout: 15 * 60_000,
  };
  return {
    describe: root ? 'apt-get (as root)' : 'sudo -n apt-get',
    run(args) {
      // Waits for a concurrent dpkg (another install) instead of failing at once.
      const full = ['-o', 'DPkg::Lock::Timeout=300', ...args];
      const answer = root ? spawnSync(aptGet, full, spawnOptions) : spawnSync(sudo!, ['-n', aptGet, ...full], spawnOptions);
      const output = `${String(answer.stdout ?? '')}${String(answer.stderr ?? '')}${answer.error ? String(answer.error) : ''}`;
      return { ok: answer.status === 0, output };
    },
  };
}

/** True when apt knows a version of `chromium` to install (otherwise the package lists need an update). */
function aptHasCandidate(): boolean {
  const policy = spawnSync('apt-cache', ['policy', 'chromium'], { encoding: 'utf8' });
  const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? '')?.[1];
  return candidate !== undefined && candidate !== '(none)';
}

const tail = (output: string) => output.trim().split('\n').slice(-8).join('\n');

export function ensureChromium(options: EnsureChromiumOptions = {}): ChromiumResult {
  const log = options.log ?? ((line: string) => console.log(line));
  const notes: string[] = [];
  const found = findChromium(notes);
  if (found) return { found, installed: false };
  if (options.install === false) return { reason: `no Chromium found (${notes.join('; ')}); installing is off (--no-install / CHROMIUM_INSTALL=0)`, installed: false };

  log(`Chromium: none found (${notes.join('; ')}); trying to install Debian's chromium package`);
  const apt = aptRunner(options);
  if ('reason' in apt) return { reason: `no Chromium found and cannot install it: ${apt.reason}`, installed: false };
  const install = ['install', '-y', '--no-install-recommends', 'chromium'];
  if (!aptHasCandidate()) {
    log(`Chromium: apt knows no chromium candidate; ${apt.describe} update`);
    const update = apt.run(['update']);
    if (!update.ok) return { reason: `apt-get update failed:\n${tail(update.output)}`, installed: false };
  }
  log(`Chromium: ${apt.describe} ${install.join(' ')}`);
  let attempt = apt.run(install);
  if (!attempt.ok) {
    // Stale lists (a 404 on a superseded .deb) are the usual cause: refresh once and retry.
    log(`Chromium: install failed; ${apt.describe} update and retry`);
    const update = apt.run(['update']);
    attempt = update.ok ? apt.run(install) : update;
  }
  if (!attempt.ok) return { reason: `apt-get could not install chromium:\n${tail(attempt.output)}`, installed: false };
  const after = findChromium();
  if (!after) return { reason: 'apt-get installed chromium but no executable was found afterwards (expected /usr/bin/chromium)', installed: true };
  return { found: after, installed: true };
}

if (import.meta.main) {
  const result = ensureChromium({ install: !process.argv.includes('--no-install') });
  if (result.found) {
    const { path, source, version } = result.found;
    console.log(`Chromium: ${result.installed ? 'installed' : 'found'} ${path} (${source}${version ? `, ${version}` : ''})`);
  } else {
    console.log(`Chromium: not available, the browser tests will be skipped. Reason: ${result.reason}`);
  }
  // Exit 0 either way: without Chromium the browser tests skip themselves and say why.
}

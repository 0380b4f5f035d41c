// The house rules lint enforces (DESIGN.md): deterministic workflow code and
// no floating promises. Linted as if the probe were workflows/index.ts.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/paths.ts';

const eslint = new ESLint({ cwd: projectRoot });

async function ruleHits(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${projectRoot}/${filePath}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}:${m.line}`);
}

describe('lint rules', () => {
  it('forbids Node built-ins, I/O libraries, value imports of activities and process in workflows/', { timeout: 60_000 }, async () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { createHash } from 'crypto';",
      "import { Kysely } from 'kysely';",
      "import { createActivities } from '../activities/index.ts';",
      "import type { Activities } from '../activities/index.ts';",
      "import { sleep } from '@temporalio/workflow';",
      'export const used = [readFileSync, createHash, Kysely, createActivities, sleep, process.env];',
      'export type Used = Activities;',
    ].join('\n');
    expect(await ruleHits(code, 'workflows/index.ts')).toEqual([
      'no-restricted-imports:1', 'no-restricted-imports:2', 'no-restricted-imports:3', 'no-restricted-imports:4', 'no-restricted-globals:7',
    ]);
    // The same imports are fine outside workflows/.
    expect(await ruleHits(code, 'workers/worker.ts')).toEqual([]);
  });

  it('forbids floating promises everywhere', { timeout: 60_000 }, async () => {
    const code = 'export async function f(): Promise<void> {\n  Promise.resolve(1);\n}\n';
    expect(await ruleHits(code, 'api/server.ts')).toEqual(['@typescript-eslint/no-floating-promises:2']);
  });
});

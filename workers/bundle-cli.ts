// Bundles the engine's workflow code into one file (argument: where), in a
// process of its own: webpack's few hundred megabytes are returned to the
// system when it exits instead of staying in the worker's resident set.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { engineWorkflowsPath } from './worker.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: bundle-cli.ts <output file>');
const { code } = await bundleWorkflowCode({ workflowsPath: engineWorkflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } });
writeFileSync(out, code);

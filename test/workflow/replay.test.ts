// Safe deploys: every history recorded from a real run (test/fixtures/histories,
// written by `npm run histories:capture`) replays against the workflow code as
// it is now, bundled exactly as the worker bundles it. A change that would
// strand the runs in flight after a deploy (a command added, removed or
// reordered without patched()) fails here, before it ships. No server and no
// database: replay feeds the recorded events to the code and compares the
// commands it issues.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowsInChildProcess } from '../../workers/workflow-bundle.ts';
import * as engineWorkflows from '../../workflows/index.ts';
import { bundleOnce } from '../helpers/temporal.ts';

type History = proto.temporal.api.history.v1.IHistory;

const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const alteredWorkflowsPath = fileURLToPath(new URL('../fixtures/altered-campaign.ts', import.meta.url));

// @temporalio/common's historyFromJSON (which runReplayHistory calls on a JSON history) checks
// `type instanceof Type` against its own copy of protobufjs; this lockfile gives @temporalio/proto
// another copy, whose Types it refuses ("type must be a Type"). So the JSON is read with the
// protojson of the copy that built the History type, and the replay gets a History object.
const protojson = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
};

interface Fixture {
  file: string;
  workflowType: string;
  workflowId: string;
  history: History;
}

function loadFixture(file: string): Fixture {
  const json: unknown = JSON.parse(readFileSync(join(historiesDir, file), 'utf8'));
  const history = protojson.fromJson(proto.temporal.api.history.v1.History, json, { ignoreUnknownFields: true }) as History;
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started?.workflowType?.name) throw new Error(`${file} does not begin with WorkflowExecutionStarted`);
  // Histories carry the workflow id since server 1.26; workflows read it (subscriptions, a recurring run's key).
  return { file, workflowType: started.workflowType.name, workflowId: started.workflowId || `replay/${file}`, history };
}

// Subfolders too: histories kept from before a patch (e.g. before-<patchId>/) stand for the runs still in flight on the old code.
const fixtures = readdirSync(historiesDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.json')).sort().map(loadFixture);

const results = new Map<string, Error | undefined>();

beforeAll(async () => {
  // What the worker runs (workers/main.ts): the bundle workers/bundle-cli.ts builds from workflows/index.ts,
  // with no interceptors and the default payload converter (keep these options in step if that changes).
  const engine: ReplayWorkerOptions = { workflowBundle: await bundleWorkflowsInChildProcess() };
  const replayed = Worker.runReplayHistories(engine, fixtures.map(({ history, workflowId }) => ({ history, workflowId })));
  // One history at a time, in order: each result belongs to the fixture at the same position.
  let index = 0;
  for await (const result of replayed) results.set(fixtures[index++]!.file, result.error);
});

describe('recorded histories replay against the current workflow code', () => {
  it('has a recorded history for every workflow type the worker registers', () => {
    const recorded = new Set(fixtures.map((fixture) => fixture.workflowType));
    expect(Object.keys(engineWorkflows).filter((type) => !recorded.has(type)), 'capture a case for each (scripts/capture-histories.ts)').toEqual([]);
    expect(fixtures.length).toBeGreaterThanOrEqual(Object.keys(engineWorkflows).length);
  });

  it.each(fixtures.map((fixture) => fixture.file))('%s', (file) => {
    expect(results.has(file), 'not replayed').toBe(true);
    const error = results.get(file);
    expect(error, error && `${error.name}: ${error.message}`).toBeUndefined();
  });
});

describe('the guard bites', () => {
  it('a campaign changed without patched() (another activity first) is refused as non-deterministic', { timeout: 120_000 }, async () => {
    const altered: ReplayWorkerOptions = { workflowBundle: await bundleOnce(alteredWorkflowsPath) };
    const campaigns = fixtures.filter((fixture) => fixture.workflowType === 'campaign');
    expect(campaigns.length).toBeGreaterThan(0);
    for (const fixture of campaigns) {
      const replay = Worker.runReplayHistory(altered, fixture.history, fixture.workflowId);
      await expect(replay, fixture.file).rejects.toThrow(DeterminismViolationError);
      await expect(replay, fixture.file).rejects.toThrow(/templateStatusOf|loadCampaignPlan/);
    }
    // The same bundle still replays what it did not change: the failure is the change's, not the harness's.
    const governor = fixtures.find((fixture) => fixture.workflowType === 'warmupGovernor')!;
    await Worker.runReplayHistory(altered, governor.history, governor.workflowId);
  });
});

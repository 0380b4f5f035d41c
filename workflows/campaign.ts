// campaign (workflow id campaign/<campaignId>): one run of a campaign.
//
// 1. At its time (a durable timer), it subscribes to the template's approval
//    workflow and waits until the template is APPROVED; a rejection, a
//    disablement or the approval timeout fails the campaign with the reason.
// 2. It snapshots the audience into campaign_messages: the durable recipient
//    list, one row (and one message id, the client_ref) per contact.
// 3. It sends in batches, each one activity: consent re-checked per recipient
//    at send time, quota taken from the portfolio's ledger (waiting, not
//    failing, when the limit is used up), each message claimed before the call
//    and settled after. Batches read PENDING rows in list order, so nothing is
//    loaded whole and a retried batch only finds what is still to do.
// 4. Ambiguous sends wait for a status webhook with their client_ref; with no
//    sign of them by the reconciliation deadline they are sent again.
// History stays bounded: a batch is three events, and the run continues as new
// with its few counters well before Temporal's limits.
import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { CampaignPlan } from '../activities/campaigns.ts';
import { emptyCounts, isCampaignFinal, operatorPauseReason, type BatchResult, type CampaignCounts, type CampaignStatus } from '../domain/campaign.ts';
import { isFinal, type TemplateStatus } from '../domain/template.ts';
import { CampaignId, EngineStatus, SenderNumber, TemplateName } from './search-attributes.ts';
import { campaignProgress, controlCampaign, type CampaignControl, type CampaignProgress } from './campaign-messages.ts';
import { dependOnTemplate, type TemplateDependency } from './template-dependency.ts';

export interface CampaignOptions {
  /** Recipients read, checked and reserved quota for at once. */
  batchSize: number;
  /** One activity goes on to the next batch while it has sent for less than this: the pause between activities then comes seldom. */
  sendForMs: number;
  concurrency: number;
  /** How long an ambiguous send waits for a sign of life before it is sent again. */
  reconcileDeadlineMs: number;
  /** How long to wait for the template's approval before failing. */
  approvalTimeoutMs: number;
  /** The run continues as new past this many history events: well under Temporal's 50K limit and its 10K warning. */
  continueAfterEvents: number;
  /** How often, at most, a batch also counts the run's messages in the database for the progress query. */
  countEveryMs: number;
}

export const defaultCampaignOptions: CampaignOptions = {
  batchSize: 500,
  sendForMs: 5_000,
  concurrency: 32,
  reconcileDeadlineMs: 15 * 60_000,
  approvalTimeoutMs: 7 * 24 * 3_600_000,
  continueAfterEvents: 2_000,
  countEveryMs: 10_000,
};

export interface CampaignInput {
  campaignId: string;
  /** Which run of the campaign this is: one-off campaigns have one; each run of a recurring one is its own (default: its workflow id). */
  runKey?: string;
  options?: Partial<CampaignOptions>;
  /** Carried across continue-as-new. */
  state?: CarriedState;
}

type CarriedState = CampaignProgress & { snapshotDone: boolean; paused: boolean; cancelled: boolean; templateStatus?: TemplateStatus | undefined };

const { loadCampaignPlan, snapshotAudience, reconcileCampaign, recordCampaignStatus, skipRemainingMessages, templateStatusOf } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// A pause or cancel cancels the batch in flight: the activity learns it from its
// next heartbeat, stops claiming, and the workflow waits for it to settle what it started.
const { sendCampaignBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function campaign(input: CampaignInput): Promise<CampaignProgress> {
  const options: CampaignOptions = { ...defaultCampaignOptions, ...input.options };
  const state: CarriedState = {
    ...emptyCounts(), campaignId: input.campaignId, status: 'SCHEDULED', reason: null, audience: null, deferred: 0, batches: 0, countedAt: null,
    snapshotDone: false, paused: false, cancelled: false,
    ...input.state,
  };
  /** Takes the database's counts of the run as they are now. */
  const counted = (counts: CampaignCounts) => Object.assign(state, counts, { countedAt: new Date().toISOString() });
  /** Set once the run is ending: controls are refused from then on. */
  let finishing = false;
  // The batch in flight, so a pause, a cancel or a template that stops being sendable stops it.
  let batchScope: CancellationScope | undefined;

  setHandler(campaignProgress, () => {
    const { snapshotDone: _s, paused: _p, cancelled: _c, templateStatus: _t, ...progress } = state;
    return progress;
  });
  setHandler(controlCampaign, (control: CampaignControl) => {
    if (control === 'cancel') state.cancelled = true;
    else state.paused = control === 'pause';
    if (control !== 'resume') batchScope?.cancel();
    return control === 'cancel' ? 'CANCELLED' : control === 'pause' ? 'PAUSED' : 'SENDING';
  }, {
    validator: (control: CampaignControl) => {
      if (finishing || isCampaignFinal(state.status) || state.cancelled) throw new Error(`the campaign has ended (${state.status})`);
      if (control === 'pause' && state.paused) throw new Error('the campaign is already paused');
      if (control === 'resume' && !state.paused) throw new Error('the campaign is not paused');
    },
  });

  const plan: CampaignPlan = await loadCampaignPlan({ campaignId: input.campaignId });
  const recurring = plan.schedule.kind === 'recurring';
  // A Schedule starts each run as campaign/<id>/run-<time>, and two manual triggers can share the
  // second: the run's first execution id (kept across continue-as-new) names its own recipient list.
  const runKey = input.runKey ?? (recurring ? `${workflowInfo().workflowId}#${workflowInfo().firstExecutionRunId}` : 'once');
  /** `unlessStopped`: the row keeps a PAUSED or CANCELLED an operator gave the schedule meanwhile. */
  const setStatus = async (status: CampaignStatus, reason: string | null = null, final = false, unlessStopped = false) => {
    const changed = status !== state.status || reason !== state.reason;
    state.status = status;
    state.reason = reason;
    if (changed || final) {
      upsertSearchAttributes([
        { key: CampaignId, value: plan.campaignId },
        { key: TemplateName, value: plan.templateName },
        { key: SenderNumber, value: plan.senderNumber },
        { key: EngineStatus, value: `campaign:${status}` },
      ]);
      const counts = await recordCampaignStatus({ campaignId: plan.campaignId, runKey, status, reason, final, unlessStopped });
      if (counts) counted(counts);
    }
  };
  const dependency: { template?: TemplateDependency } = {};
  // Whatever ends the run (done, cancelled, failed, even a bug) writes it to the row: never left SENDING.
  const finish = (status: CampaignStatus, reason: string | null) => CancellationScope.nonCancellable(async () => {
    finishing = true;
    await dependency.template?.unsubscribe();
    if (status === 'CANCELLED') await skipRemainingMessages({ campaignId: plan.campaignId, runKey });
    // A recurring campaign goes back to waiting for its next run, whatever this one did; only the API ends it (by deleting its schedule).
    // An operator may pause or cancel the schedule while this run is ending: that stays on the row.
    if (recurring && status === 'COMPLETED') await setStatus('SCHEDULED', `last run ${runKey} completed`, true, true);
    else if (recurring && status === 'FAILED') await setStatus('SCHEDULED', `last run ${runKey} failed: ${reason ?? 'unknown'}`, true, true);
    else await setStatus(status, reason, true);
    await condition(allHandlersFinished);
    return state;
  });

  try {
    return await run();
  } catch (error) {
    // continueAsNew ends this run by throwing: it is not a failure.
    if (error instanceof ContinueAsNew) throw error;
    if (isCancellation(error)) return finish('CANCELLED', 'the workflow was cancelled');
    const cause = error instanceof ActivityFailure && error.cause ? error.cause.message : error instanceof Error ? error.message : String(error);
    await finish('FAILED', cause);
    throw error;
  }

  async function run(): Promise<CampaignProgress> {
    if (!state.snapshotDone && plan.schedule.kind === 'at') {
      const waitMs = Date.parse(plan.schedule.at) - Date.now();
      if (waitMs > 0) {
        await setStatus('SCHEDULED');
        await condition(() => state.cancelled, waitMs);
      }
    }
    if (state.cancelled) return finish('CANCELLED', 'cancelled');

    // A template not yet submitted has no approval workflow to follow: wait for its submission, looking
    // less and less often (the history stays small however long it takes), within the approval timeout.
    let draftWaitMs = 30_000;
    const draftSince = Date.now();
    for (let status = await templateStatusOf({ templateId: plan.templateId }); status === 'DRAFT'; status = await templateStatusOf({ templateId: plan.templateId })) {
      if (Date.now() - draftSince > options.approvalTimeoutMs) return finish('FAILED', `template ${plan.templateName} was never submitted`);
      await setStatus('WAITING_FOR_TEMPLATE', `template ${plan.templateName} is a draft: submit it`);
      if (await condition(() => state.cancelled, draftWaitMs)) return finish('CANCELLED', 'cancelled');
      draftWaitMs = Math.min(draftWaitMs * 2, 3_600_000);
    }
    const template = await dependOnTemplate(plan.templateId);
    dependency.template = template;
    if (state.templateStatus && template.status === undefined) template.receive({ templateId: plan.templateId, status: state.templateStatus, reason: null });
    state.templateStatus = template.status;
    // A template that stops being sendable stops the batch in flight: Meta would refuse every send.
    template.onChange = () => {
      state.templateStatus = template.status;
      if (!template.sendable) batchScope?.cancel();
    };
    if (!template.sendable && !state.snapshotDone) {
      await setStatus('WAITING_FOR_TEMPLATE', `template ${plan.templateName} is ${template.status ?? 'not yet known'}`);
      const approved = await Promise.race([template.waitUntilSendable(options.approvalTimeoutMs), condition(() => state.cancelled).then(() => false)]);
      if (state.cancelled) return finish('CANCELLED', 'cancelled');
      if (!approved) return finish('FAILED', `template ${plan.templateName} is ${template.status ?? 'unknown'}${template.reason ? `: ${template.reason}` : ''}${template.status === undefined || !isFinal(template.status) ? ' (no approval in time)' : ''}`);
    }

    if (!state.snapshotDone) {
      state.audience = (await snapshotAudience({ campaignId: plan.campaignId, runKey, scope: plan.scope })).audience;
      state.pending = state.audience;
      state.snapshotDone = true;
    }

    for (;;) {
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > options.continueAfterEvents) {
        await condition(allHandlersFinished);
        await template.unsubscribe();
        await continueAsNew<typeof campaign>({ ...input, state });
      }
      if (state.cancelled) return finish('CANCELLED', 'cancelled');
      if (state.paused) {
        await setStatus('PAUSED', state.reason ?? operatorPauseReason);
        await condition(() => !state.paused || state.cancelled);
        state.reason = null;
        continue;
      }
      if (!template.sendable) {
        await setStatus('PAUSED', `template ${plan.templateName} is ${template.status ?? 'unknown'}`);
        await condition(() => template.sendable || (template.status !== undefined && isFinal(template.status)) || state.cancelled);
        if (state.cancelled) continue;
        if (!template.sendable) return finish('FAILED', `template ${plan.templateName} is ${template.status}${template.reason ? `: ${template.reason}` : ''}`);
      }
      await setStatus('SENDING');
      // A control may have arrived during that write: nothing may start after it.
      if (state.cancelled || state.paused || !template.sendable) continue;

      batchScope = new CancellationScope();
      let batch: BatchResult;
      try {
        // Counting the run costs a scan of its messages (beside the sending): every 10 s, not every batch.
        const withCounts = state.countedAt === null || Date.now() - Date.parse(state.countedAt) >= options.countEveryMs;
        batch = await batchScope.run(() => sendCampaignBatch({ plan, runKey, batchSize: options.batchSize, sendForMs: options.sendForMs, concurrency: options.concurrency, withCounts }));
      } catch (error) {
        // The whole workflow is being cancelled (Web UI, CLI): that ends the run, through the outer catch.
        if (CancellationScope.current().consideredCancelled) throw error;
        // Stopped on purpose (or failed while being stopped, e.g. its worker died): the top of the loop decides.
        const stopping = state.cancelled || state.paused || !template.sendable;
        if (isCancellation(error) || (stopping && error instanceof ActivityFailure)) continue;
        throw error;
      } finally {
        batchScope = undefined;
      }
      state.batches++;
      state.deferred = batch.deferred;
      if (batch.counts) counted(batch.counts);
      else {
        state.sent += batch.sent;
        state.failed += batch.failed;
        state.skipped += batch.skipped;
        state.ambiguous += batch.ambiguous;
        state.pending = Math.max(0, state.pending - batch.sent - batch.failed - batch.skipped - batch.ambiguous);
      }

      if (batch.fatal) {
        state.paused = true;
        state.reason = batch.fatal;
        continue;
      }
      // A pause or cancel that came while the batch ran (and missed it) is obeyed before anything else.
      if (state.paused || state.cancelled) continue;
      if (batch.done) {
        // Nothing pending: settle what is ambiguous (or left claimed by a crashed batch) before finishing.
        const open = await reconcileCampaign({ campaignId: plan.campaignId, runKey, deadlineMs: options.reconcileDeadlineMs });
        if (open.released > 0 || state.cancelled) continue;
        if (open.open === 0) return finish('COMPLETED', null);
        await condition(() => state.cancelled || state.paused, Math.min(options.reconcileDeadlineMs, 5_000));
        continue;
      }
      if (batch.quietUntil && batch.attempted === 0) {
        // Everyone left is held (quiet hours, or backing off after a retryable failure): wait for the first to be due.
        await setStatus('SENDING', `held until ${batch.quietUntil} (quiet hours or retry back-off)`);
        await condition(() => state.cancelled || state.paused, Math.min(Math.max(Date.parse(batch.quietUntil) - Date.now(), 1_000), 3_600_000));
      } else if (batch.attempted === 0 && batch.deferred > 0) {
        // The portfolio's limit is used up for now: wait for the window to free (or the governor to change its mind).
        await setStatus('SENDING', `waiting for quota: ${batch.quotaReason ?? 'limit reached'}`);
        const untilMs = batch.quotaRetryAt ? Date.parse(batch.quotaRetryAt) - Date.now() : 60_000;
        await condition(() => state.cancelled || state.paused, Math.min(Math.max(untilMs, 1_000), 3_600_000));
      }
    }
  }
}

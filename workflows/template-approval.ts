// templateApproval (workflow id template/<templateId>): submits a template to
// Meta through Vonage's template manager, then waits — durably, for days if
// need be — for the verdict, and stays responsible for the template's later
// life (paused, unpaused, disabled).
//
// How status arrives: by signal (the API forwards Meta's
// message_template_status_update webhooks) or, because Vonage may never
// forward those, by polling the template manager with capped exponential
// backoff. Whichever comes first wins; a status observed earlier than the one
// already known is stale and ignored, a repeat is a duplicate and ignored.
// Every change is written to the templates row (the database mirrors the
// latest known status and reason) and upserted as EngineStatus.
//
// How dependents learn of it (campaigns): a workflow that needs the template
// signals subscribeToTemplate with its own workflow id; this workflow answers
// at once with templateStatusChanged carrying the current status, and again on
// every change, until the dependent unsubscribes or can no longer be
// signalled. workflows/template-dependency.ts wraps this for dependents.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { defaultApprovalTiming, isFinal, type ApprovalTiming, type TemplateStatus } from '../domain/template.ts';
import { EngineStatus, TemplateName } from './search-attributes.ts';
import {
  subscribeToTemplate,
  templateApprovalStatus,
  templateStatusChanged,
  templateStatusUpdate,
  unsubscribeFromTemplate,
  type TemplateApprovalState,
  type TemplateStatusUpdate,
} from './template-messages.ts';

export interface TemplateApprovalInput {
  templateId: string;
  templateName: string;
  timing?: Partial<ApprovalTiming>;
  /** Carried across continue-as-new; absent on the first run. */
  state?: TemplateApprovalState;
  /** Continue as new past this many history events (tests lower it to exercise the hand-over). */
  historyLimit?: number;
}

export interface TemplateApprovalResult {
  status: TemplateStatus;
  reason: string | null;
  providerTemplateId: string | null;
}

const { submitTemplate, pollTemplateStatus, recordTemplateStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Meta being down for hours must not lose the workflow: retry for as long as it takes, backing off.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Far below Temporal's 51,200-event limit (about 11 events per poll); the loop continues as new long before. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 2_000;

export async function templateApproval(input: TemplateApprovalInput): Promise<TemplateApprovalResult> {
  const timing: ApprovalTiming = { ...defaultApprovalTiming, ...input.timing };
  const historyLimit = input.historyLimit ?? HISTORY_EVENTS_BEFORE_CONTINUE;
  const state: TemplateApprovalState = input.state ?? {
    templateId: input.templateId,
    status: 'SUBMITTING',
    reason: null,
    providerTemplateId: null,
    observedAtMs: Date.now(),
    submittedAtMs: Date.now(),
    polls: 0,
    nextPollDelayMs: timing.pollInitialMs,
    nextPollAtMs: Date.now() + timing.pollInitialMs,
    subscribers: [],
    owed: [],
    pending: [],
  };
  // Carried across continue-as-new: updates not yet applied, subscribers not yet told.
  const inbox: TemplateStatusUpdate[] = state.pending.splice(0);
  const toNotify = new Set<string>(state.owed.splice(0));

  setHandler(templateApprovalStatus, () => state);
  setHandler(templateStatusUpdate, (update) => {
    inbox.push(update);
  });
  setHandler(subscribeToTemplate, ({ workflowId }) => {
    if (!state.subscribers.includes(workflowId)) state.subscribers.push(workflowId);
    toNotify.add(workflowId);
  });
  setHandler(unsubscribeFromTemplate, ({ workflowId }) => {
    state.subscribers = state.subscribers.filter((id) => id !== workflowId);
    toNotify.delete(workflowId);
  });

  const showStatus = () => upsertSearchAttributes([{ key: TemplateName, value: input.templateName }, { key: EngineStatus, value: `template:${state.status}` }]);
  /** What the Web UI shows as this run's current details. */
  const describe = () => setCurrentDetails([
    `**${state.status}**${state.reason ? ` (${state.reason})` : ''}`,
    `provider id ${state.providerTemplateId ?? '—'} · ${state.polls} polls · next poll ${new Date(state.nextPollAtMs).toISOString()}`,
    `${state.subscribers.length} dependent workflow(s)`,
  ].join('\n\n'));

  async function change(status: TemplateStatus, reason: string | null): Promise<void> {
    log.info('template status changed', { from: state.status, to: status, reason });
    state.status = status;
    state.reason = reason;
    await recordTemplateStatus(input.templateId, state.status, state.reason, state.observedAtMs);
    showStatus();
    for (const id of state.subscribers) toNotify.add(id);
  }

  async function apply(update: TemplateStatusUpdate): Promise<void> {
    if (isFinal(state.status)) return;
    if (update.observedAtMs < state.observedAtMs) {
      log.info('stale template status ignored', { status: update.status, source: update.source });
      return;
    }
    state.observedAtMs = update.observedAtMs;
    // Same status again: a duplicate, even when it says less (polls carry no pause reason).
    if (update.status === state.status && (update.reason === null || update.reason === state.reason)) return;
    await change(update.status, update.reason);
  }

  /** Applies every update received so far, including those that arrive while applying. */
  async function drainInbox(): Promise<void> {
    while (inbox.length > 0) await apply(inbox.shift()!);
  }

  async function notifySubscribers(): Promise<void> {
    // Until nobody is owed anything: a subscriber may arrive while others are being told.
    while (toNotify.size > 0) {
      const [workflowId] = toNotify;
      toNotify.delete(workflowId!);
      try {
        await getExternalWorkflowHandle(workflowId!).signal(templateStatusChanged, { templateId: input.templateId, status: state.status, reason: state.reason });
      } catch (error) {
        // A dependent that finished or was deleted can no longer be told; forget it.
        log.info('template subscriber gone', { workflowId, error: String(error) });
        state.subscribers = state.subscribers.filter((id) => id !== workflowId);
      }
    }
  }

  /** A provider call that failed for good: the template is gone or unusable, said once, not retried forever. */
  const permanentFailure = (error: unknown) => (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined);

  showStatus();
  if (state.providerTemplateId === null) {
    await recordTemplateStatus(input.templateId, state.status, null, state.observedAtMs);
    const askedAtMs = Date.now();
    try {
      const submitted = await submitTemplate(input.templateId);
      state.providerTemplateId = submitted.providerTemplateId;
      await apply({ status: submitted.status, reason: submitted.reason, observedAtMs: askedAtMs, source: 'poll' });
    } catch (error) {
      const failure = permanentFailure(error);
      if (!failure) throw error;
      // Meta refused the creation itself (or the template or sender vanished): as final as a rejection.
      await change('REJECTED', `SUBMISSION_FAILED: ${failure.message}`);
    }
  }

  const awaitingVerdict = () => state.status === 'SUBMITTING' || state.status === 'PENDING' || state.status === 'IN_APPEAL';
  const deadlineMs = state.submittedAtMs + timing.approvalTimeoutMs;
  while (!isFinal(state.status)) {
    await notifySubscribers();
    describe();
    if (awaitingVerdict() && Date.now() >= deadlineMs) {
      // Our own verdict: not subject to the staleness rule for Meta's.
      await change('TIMED_OUT', `no verdict from Meta within ${Math.round(timing.approvalTimeoutMs / 3600_000)} h`);
      break;
    }
    // Signals and new subscribers wake the workflow without moving the poll schedule.
    const untilPollMs = Math.max(0, state.nextPollAtMs - Date.now());
    await condition(() => inbox.length > 0 || toNotify.size > 0, awaitingVerdict() ? Math.min(untilPollMs, deadlineMs - Date.now()) : untilPollMs);
    await drainInbox();
    if (Date.now() >= state.nextPollAtMs && !isFinal(state.status)) {
      // A poll's answer is as old as the question: a webhook applied while it ran is newer and wins.
      const askedAtMs = Date.now();
      try {
        const polled = await pollTemplateStatus(input.templateId);
        await apply({ ...polled, observedAtMs: askedAtMs, source: 'poll' });
      } catch (error) {
        // Credentials rotated, sender edited…: keep watching; the next poll may succeed.
        if (!permanentFailure(error)) throw error;
        log.warn('template poll failed', { error: String(error) });
      }
      state.polls += 1;
      // Capped exponential backoff while waiting for the verdict; a steady watch afterwards.
      if (awaitingVerdict()) state.nextPollDelayMs = Math.min(state.nextPollDelayMs * 2, timing.pollMaxMs);
      state.nextPollAtMs = Date.now() + (awaitingVerdict() ? state.nextPollDelayMs : timing.lifecyclePollMs);
    }
    if (!isFinal(state.status) && (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit)) {
      await drainInbox();
      await notifySubscribers();
      if (!isFinal(state.status)) {
        // No await from here on: nothing can arrive between taking the buffers and leaving.
        state.pending = inbox.splice(0);
        state.owed = [...toNotify];
        await continueAsNew<typeof templateApproval>({ ...input, state });
      }
    }
  }

  await notifySubscribers();
  describe();
  if (state.status === 'TIMED_OUT') log.warn('template approval timed out', { templateId: input.templateId });
  return { status: state.status, reason: state.reason, providerTemplateId: state.providerTemplateId };
}

// The one way a workflow depends on a template (campaigns use it): subscribe to
// its templateApproval workflow, then wait until it is sendable; the status
// keeps updating by signal, so a PAUSED or DISABLED template is noticed between
// any two steps.
//
//   const template = await dependOnTemplate(templateId);
//   if (!(await template.waitUntilSendable('7 days'))) return; // rejected, disabled, timed out
//   …before each batch: if (!template.sendable) await template.waitUntilSendable();
//   await template.unsubscribe(); // when done
import { ApplicationFailure, condition, getExternalWorkflowHandle, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { isFinal, isSendable, templateWorkflowId, type TemplateStatus } from '../domain/template.ts';
import { subscribeToTemplate, templateStatusChanged, unsubscribeFromTemplate, type TemplateNotice } from './template-messages.ts';

export class TemplateDependency {
  readonly templateId: string;
  status: TemplateStatus | undefined;
  reason: string | null = null;
  /** Every status received, in order (for queries and tests). */
  readonly history: TemplateStatus[] = [];
  /** Called after each status received (from the signal handler: keep it synchronous). */
  onChange: (() => void) | undefined;

  constructor(templateId: string) {
    this.templateId = templateId;
  }

  receive(notice: TemplateNotice): void {
    this.status = notice.status;
    this.reason = notice.reason;
    this.history.push(notice.status);
    this.onChange?.();
  }

  get sendable(): boolean {
    return this.status !== undefined && isSendable(this.status);
  }

  /** True once APPROVED; false if the template became final (rejected, disabled, timed out, deleted) or the timeout passed. */
  async waitUntilSendable(timeout?: Duration): Promise<boolean> {
    const settled = () => this.status !== undefined && (isSendable(this.status) || isFinal(this.status));
    if (timeout === undefined) await condition(settled);
    else await condition(settled, timeout);
    return this.sendable;
  }

  /** Resolves when the template stops being sendable (paused, disabled, …): the moment to hold sends. */
  async waitUntilNotSendable(timeout?: Duration): Promise<boolean> {
    const held = () => this.status !== undefined && !isSendable(this.status);
    if (timeout === undefined) await condition(held);
    else await condition(held, timeout);
    return !this.sendable;
  }

  /** Best effort: a template workflow that has ended has nobody left to forget. */
  async unsubscribe(): Promise<void> {
    try {
      await getExternalWorkflowHandle(templateWorkflowId(this.templateId)).signal(unsubscribeFromTemplate, { workflowId: workflowInfo().workflowId });
    } catch {
      // ended (final status) or between runs: either way it will not signal us again
    }
  }
}

const dependencies = new Map<string, TemplateDependency>();

/** Subscribes this workflow to the template's status. Fails (non-retryably) if no approval workflow runs for it. */
export async function dependOnTemplate(templateId: string): Promise<TemplateDependency> {
  if (dependencies.size === 0) {
    setHandler(templateStatusChanged, (notice) => dependencies.get(notice.templateId)?.receive(notice));
  }
  let dependency = dependencies.get(templateId);
  if (!dependency) {
    dependency = new TemplateDependency(templateId);
    dependencies.set(templateId, dependency);
  }
  // A few tries: a signal can miss a workflow at the instant it continues as new.
  for (let attempt = 1; ; attempt++) {
    try {
      await getExternalWorkflowHandle(templateWorkflowId(templateId)).signal(subscribeToTemplate, { workflowId: workflowInfo().workflowId });
      return dependency;
    } catch (error) {
      if (attempt >= 3) throw ApplicationFailure.nonRetryable(`Template ${templateId} has no running approval workflow: submit it first.`, 'TemplateNotActive', String(error));
      await sleep('1 second');
    }
  }
}

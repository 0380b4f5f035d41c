// Messages of the templateApproval workflow, defined once and imported by the
// workflow, by the API (webhooks → signal, GET → query) and by every workflow
// that depends on a template (see template-dependency.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TemplateStatus } from '../domain/template.ts';

/** A status learned from Meta, by webhook (API) or poll (the workflow itself). */
export interface TemplateStatusUpdate {
  status: TemplateStatus;
  reason: string | null;
  /**
   * How recent the knowledge is: a webhook's event time (Meta gives seconds, so
   * the end of that second), a poll's start. Older than what the workflow
   * already knows = stale, ignored.
   */
  observedAtMs: number;
  source: 'webhook' | 'poll';
}

export interface TemplateApprovalState {
  templateId: string;
  status: TemplateStatus;
  reason: string | null;
  providerTemplateId: string | null;
  observedAtMs: number;
  submittedAtMs: number;
  polls: number;
  nextPollDelayMs: number;
  nextPollAtMs: number;
  subscribers: string[];
  /** Subscribers still owed the current status, handed over at continue-as-new. */
  owed: string[];
  /** Updates received but not yet applied, handed over at continue-as-new. */
  pending: TemplateStatusUpdate[];
}

/** What dependents receive on subscribing and on every change. */
export interface TemplateNotice {
  templateId: string;
  status: TemplateStatus;
  reason: string | null;
}

export const templateStatusUpdate = defineSignal<[TemplateStatusUpdate]>('templateStatusUpdate');
export const templateApprovalStatus = defineQuery<TemplateApprovalState>('status');
export const subscribeToTemplate = defineSignal<[{ workflowId: string }]>('subscribeToTemplate');
export const unsubscribeFromTemplate = defineSignal<[{ workflowId: string }]>('unsubscribeFromTemplate');
/** Sent by templateApproval to each subscribed workflow. */
export const templateStatusChanged = defineSignal<[TemplateNotice]>('templateStatusChanged');

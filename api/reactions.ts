// Hands the messages an inbound event owes (STOP confirmations, auto-replies)
// to Temporal: one serviceReply workflow each, its id derived from the inbound
// message, so a replayed event or a second pass after a crash sends nothing twice.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Reaction } from '../domain/inbound.ts';
import type { serviceReply } from '../workflows/service-reply.ts';

export async function startReactions(temporal: Client, reactions: Reaction[], taskQueue: string): Promise<void> {
  for (const reaction of reactions) {
    try {
      await temporal.workflow.start<typeof serviceReply>('serviceReply', {
        workflowId: `reply/${reaction.key}`,
        taskQueue,
        args: [{ senderId: reaction.senderId, to: reaction.to, text: reaction.text, clientRef: reaction.key }],
        // Once per key, ever: not even after the first run has finished.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: reaction.kind === 'auto-reply' ? 'Auto-reply to an untracked number' : 'Confirmation of an opt-out',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
}

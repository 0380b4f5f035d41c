// serviceReply (workflow id reply/<key>): one free-form text the engine owes a
// person who just wrote to us — the confirmation of a STOP, or the sender's
// auto-reply. The id makes it happen at most once per inbound message; retries
// stop well inside the 24 h window the inbound message opened.
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { ServiceText } from '../activities/messages.ts';

const { sendServiceText } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 12 },
});

export async function serviceReply(message: ServiceText): Promise<{ messageUuid: string | null; outcome: 'sent' | 'failed' }> {
  try {
    const { messageUuid } = await sendServiceText(message);
    return { messageUuid, outcome: 'sent' };
  } catch (error) {
    // A courtesy text that cannot be sent is logged and given up, not retried forever.
    log.warn('service reply not sent', { clientRef: message.clientRef, error: String(error) });
    return { messageUuid: null, outcome: 'failed' };
  }
}

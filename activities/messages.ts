// Sending activities. A send is keyed by its client_ref; a failure that leaves
// it unclear whether the message went out (ambiguous) is never retried blindly.
import { ApplicationFailure } from '@temporalio/activity';
import type { SendersRepository } from '../db/senders.ts';
import { VonageRequestError } from '../vonage/failures.ts';
import { createMessenger } from '../vonage/messenger.ts';

export interface MessageActivityDependencies {
  senders: SendersRepository;
  vonage: { apiHost: string; timeoutMs: number };
}

export interface ServiceText {
  senderId: string;
  /** E.164. */
  to: string;
  text: string;
  clientRef: string;
}

export function createMessageActivities(deps: MessageActivityDependencies) {
  return {
    /** Free-form text inside the 24 h window the recipient opened. */
    async sendServiceText(message: ServiceText): Promise<{ messageUuid: string }> {
      const { sender, credentials } = await deps.senders.withCredentials(message.senderId);
      try {
        return await createMessenger(credentials, deps.vonage).send({ kind: 'text', to: message.to, from: sender.whatsappNumber, clientRef: message.clientRef, text: message.text });
      } catch (error) {
        if (!(error instanceof VonageRequestError)) throw error;
        throw ApplicationFailure.create({
          type: `Vonage.${error.verdict.class}`,
          message: error.message,
          // Ambiguous: it may have been delivered; a second copy is worse than none for a courtesy text.
          nonRetryable: error.verdict.class !== 'retryable',
          ...(error.verdict.retryAfterMs !== undefined ? { nextRetryDelay: error.verdict.retryAfterMs } : {}),
        });
      }
    },
  };
}

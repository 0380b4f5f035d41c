// In the embedded stack the Vonage simulator knows the engine's senders: it
// checks each request against the credentials a user registered (deriving the
// public key from the stored private key, as Vonage holds the public half) and
// signs webhooks with the sender's signature secret, back to our own API. Its
// Meta side finds each sender's business portfolio the same way.
import type { SendersRepository } from '../db/senders.ts';
import type { AccountLookup, AccountResolver } from '../vonage/simulator/accounts.ts';
import type { PortfolioDefinition } from '../vonage/simulator/meta-portfolios.ts';

export function senderAccountResolver(senders: SendersRepository, apiUrl: string): AccountResolver {
  return async (lookup: AccountLookup) => {
    const senderId = await senders.findId(
      'apiKey' in lookup ? { apiKey: lookup.apiKey } : 'applicationId' in lookup ? { applicationId: lookup.applicationId } : { whatsappNumber: `+${lookup.number}` },
    );
    if (!senderId) return undefined;
    const { sender, credentials } = await senders.withCredentials(senderId);
    return {
      apiKey: credentials.apiKey ?? credentials.applicationId ?? senderId,
      apiSecret: credentials.apiSecret ?? undefined,
      applicationId: credentials.applicationId ?? undefined,
      publicKey: credentials.privateKey ?? undefined,
      signatureSecret: credentials.signatureSecret ?? undefined,
      statusUrl: `${apiUrl}/webhooks/vonage/status`,
      inboundUrl: `${apiUrl}/webhooks/vonage/inbound`,
      // Several senders may share one Vonage account or application: all their numbers are its numbers.
      numbers: await senders.numbersSharingCredentials(credentials.apiKey, credentials.applicationId),
      ...(sender.wabaId ? { wabaIds: [sender.wabaId] } : {}),
    };
  };
}

/**
 * The simulated Meta learns a portfolio from the senders table the first time
 * one of its numbers sends: all numbers registered with that portfolio id,
 * their WABAs, at the first rung and GREEN, as a new portfolio starts.
 */
export function senderPortfolioResolver(senders: SendersRepository): (number: string) => Promise<PortfolioDefinition | undefined> {
  return async (number) => {
    const portfolioId = await senders.portfolioOf({ whatsappNumber: `+${number}` });
    if (!portfolioId) return undefined;
    const numbers = (await senders.portfolioNumbers(portfolioId)).map((n) => n.replace(/^\+/, ''));
    const wabaIds = await senders.portfolioWabaIds(portfolioId);
    return { id: portfolioId, numbers, wabaIds };
  };
}

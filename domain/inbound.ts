// What an inbound WhatsApp message means for consent (keywords, opt-out
// buttons) and what the engine does in return. Pure: the database applies it,
// Temporal sends the replies.

export interface KeywordSettings {
  optOut: string[];
  optIn: string[];
  /** Sent once, inside the 24 h window the STOP itself opened. */
  optOutConfirmation: string;
}

export const defaultKeywords: KeywordSettings = {
  optOut: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'],
  optIn: ['START', 'YES', 'UNSTOP'],
  optOutConfirmation: 'You will no longer receive messages from us on WhatsApp. Reply START to receive them again.',
};

export type KeywordIntent = 'opt-out' | 'opt-in' | undefined;

/** The whole message (or a quick-reply button's payload), case-insensitive, is the keyword; a sentence containing it is not. */
export function keywordIntent(text: string | null | undefined, settings: KeywordSettings): KeywordIntent {
  const word = text?.trim().toUpperCase();
  if (!word) return undefined;
  if (settings.optOut.some((keyword) => keyword.toUpperCase() === word)) return 'opt-out';
  if (settings.optIn.some((keyword) => keyword.toUpperCase() === word)) return 'opt-in';
  return undefined;
}

/** A message the engine owes someone after an inbound event: sent by the serviceReply workflow. */
export interface Reaction {
  kind: 'opt-out-confirmation' | 'auto-reply';
  senderId: string;
  /** E.164. */
  to: string;
  text: string;
  /** Idempotency key: the workflow id and the message's client_ref. */
  key: string;
}

export function parseKeywordList(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value.split(',').map((word) => word.trim()).filter(Boolean);
}

// The WhatsApp messages the engine sends, independent of any SDK. Numbers are
// E.164 ("+14155550101"); the adapter turns them into Vonage's wire format.

interface Addressing {
  /** Recipient, E.164. */
  to: string;
  /** Our WhatsApp business number, E.164. */
  from: string;
  /** Our message id; Vonage echoes it in every status webhook (≤ 100 chars). */
  clientRef: string;
  /** Per-message status webhook URL, overriding the application's. */
  webhookUrl?: string;
}

/** An approved template with body parameters only: Vonage's native `template` message. */
export interface TemplateMessage extends Addressing {
  kind: 'template';
  name: string;
  /** Meta locale, e.g. "en_US". */
  locale: string;
  parameters: string[];
}

export type TemplateHeader =
  | { type: 'text'; text: string }
  | { type: 'image' | 'video' | 'document'; url: string; filename?: string }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string };

export type TemplateButton =
  | { type: 'quick_reply'; index: number; payload: string }
  | { type: 'url'; index: number; text: string };

/** A template with a media/location header or buttons: sent through Vonage's `custom` passthrough. */
export interface RichTemplateMessage extends Addressing {
  kind: 'rich-template';
  name: string;
  locale: string;
  header?: TemplateHeader;
  bodyParameters: string[];
  buttons?: TemplateButton[];
}

/** Free-form text: allowed only inside the 24 h customer service window. */
export interface TextMessage extends Addressing {
  kind: 'text';
  text: string;
}

export type OutboundMessage = TemplateMessage | RichTemplateMessage | TextMessage;

// The adapter: the only code that talks to the Vonage Messages API, and the
// only importer of @vonage/server-sdk. One messenger per sender (its own
// credentials); every failure leaves as a VonageRequestError with a verdict.
import { Auth } from '@vonage/auth';
import { WhatsAppCustom, WhatsAppTemplate, WhatsAppText } from '@vonage/messages';
import { Vonage } from '@vonage/server-sdk';
import { toVonageNumber } from '../domain/phone-number.ts';
import type { OutboundMessage, RichTemplateMessage, TemplateButton, TemplateHeader } from '../domain/outbound-message.ts';
import { classifyVonageFailure } from '../domain/vonage-errors.ts';
import { toVonageRequestError, VonageRequestError } from './failures.ts';
import { createJwtSource } from './jwt-source.ts';

export interface VonageCredentials {
  apiKey?: string | null;
  apiSecret?: string | null;
  applicationId?: string | null;
  privateKey?: string | null;
}

export interface VonageClientOptions {
  /** `https://api.nexmo.com` in production; the simulator's URL locally. */
  apiHost: string;
  /** Per-request timeout; past it a send is ambiguous (it may have been delivered). */
  timeoutMs: number;
  /** Reuse one JWT for its lifetime instead of signing per request (default true). */
  reuseJwt?: boolean;
}

export interface SendResult {
  messageUuid: string;
}

export interface Messenger {
  readonly authMode: 'jwt' | 'basic';
  send(message: OutboundMessage): Promise<SendResult>;
}

/** Like the SDK: JWT whenever an application id and private key are set, else Basic. */
function buildAuth(credentials: VonageCredentials, reuseJwt: boolean): { auth: Auth; mode: 'jwt' | 'basic' } {
  const { apiKey, apiSecret, applicationId, privateKey } = credentials;
  if (applicationId && privateKey) {
    const auth = new Auth({ applicationId, privateKey, ...(apiKey && apiSecret ? { apiKey, apiSecret } : {}) });
    if (reuseJwt) {
      const jwt = createJwtSource(applicationId, privateKey);
      auth.createBearerHeader = async () => `Bearer ${jwt.token()}`;
    }
    return { auth, mode: 'jwt' };
  }
  if (apiKey && apiSecret) return { auth: new Auth({ apiKey, apiSecret }), mode: 'basic' };
  throw new VonageRequestError('configuration', { class: 'permanent', reason: 'sender has neither application id + private key nor api key + secret' });
}

function headerComponent(header: TemplateHeader): Record<string, unknown> {
  switch (header.type) {
    case 'text':
      return { type: 'text', text: header.text };
    case 'image':
    case 'video':
      return { type: header.type, [header.type]: { link: header.url } };
    case 'document':
      return { type: 'document', document: { link: header.url, ...(header.filename ? { filename: header.filename } : {}) } };
    case 'location':
      return {
        type: 'location',
        location: { latitude: header.latitude, longitude: header.longitude, ...(header.name ? { name: header.name } : {}), ...(header.address ? { address: header.address } : {}) },
      };
  }
}

function buttonComponent(button: TemplateButton): Record<string, unknown> {
  return button.type === 'quick_reply'
    ? { type: 'button', sub_type: 'quick_reply', index: String(button.index), parameters: [{ type: 'payload', payload: button.payload }] }
    : { type: 'button', sub_type: 'url', index: String(button.index), parameters: [{ type: 'text', text: button.text }] };
}

/** Meta Cloud API template object, passed through Vonage's `custom` message. */
function customTemplate(message: RichTemplateMessage): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (message.header) components.push({ type: 'header', parameters: [headerComponent(message.header)] });
  if (message.bodyParameters.length > 0) {
    components.push({ type: 'body', parameters: message.bodyParameters.map((text) => ({ type: 'text', text })) });
  }
  for (const button of message.buttons ?? []) components.push(buttonComponent(button));
  return { type: 'template', template: { name: message.name, language: { policy: 'deterministic', code: message.locale }, components } };
}

function toSdkMessage(message: OutboundMessage) {
  const common = {
    to: toVonageNumber(message.to),
    from: toVonageNumber(message.from),
    clientRef: message.clientRef,
    ...(message.webhookUrl ? { webhookUrl: message.webhookUrl } : {}),
  };
  switch (message.kind) {
    case 'template':
      return new WhatsAppTemplate({
        ...common,
        whatsapp: { policy: 'deterministic', locale: message.locale },
        template: { name: message.name, parameters: message.parameters },
      } as ConstructorParameters<typeof WhatsAppTemplate>[0]);
    case 'rich-template':
      return new WhatsAppCustom({ ...common, custom: customTemplate(message) });
    case 'text':
      return new WhatsAppText({ ...common, text: message.text });
  }
}

export function createMessenger(credentials: VonageCredentials, options: VonageClientOptions): Messenger {
  const { auth, mode } = buildAuth(credentials, options.reuseJwt ?? true);
  const vonage = new Vonage(auth, { apiHost: options.apiHost, timeout: options.timeoutMs });
  return {
    authMode: mode,
    async send(message) {
      let result: { messageUUID?: string };
      try {
        result = await vonage.messages.send(toSdkMessage(message));
      } catch (error) {
        throw await toVonageRequestError('send', error);
      }
      // A 2xx without a parseable message_uuid: Vonage took the request but we cannot correlate it.
      if (!result.messageUUID) {
        throw new VonageRequestError('send', { ...classifyVonageFailure({ kind: 'timeout' }), reason: 'accepted without a message_uuid' });
      }
      return { messageUuid: result.messageUUID };
    },
  };
}

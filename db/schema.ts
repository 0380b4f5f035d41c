// The typed shape of every table, as kysely sees it. Column names are the
// snake_case of the API's names (senderId ↔ sender_id).
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { TemplateContent, TemplateStatus } from '../domain/template.ts';
import type { ConsentScope, ConsentSource } from '../domain/consent.ts';
import type { Reaction } from '../domain/inbound.ts';
import type { Audience, CampaignCounts, CampaignStatus, CreateCampaign, MessageState, QuietHours, Schedule } from '../domain/campaign.ts';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface SendersTable {
  sender_id: string;
  nickname: string;
  /** E.164, unique: one sender per WhatsApp number. */
  whatsapp_number: string;
  api_key: string | null;
  /** Sealed with AES-256-GCM (db/secret-box.ts); never leaves the database in clear except to send. */
  api_secret_sealed: string | null;
  application_id: string | null;
  private_key_sealed: string | null;
  signature_secret_sealed: string | null;
  waba_id: string | null;
  portfolio_id: string | null;
  auto_reply_enabled: boolean;
  auto_reply_text: string | null;
  throughput_mps: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SenderThroughputTable {
  sender_id: string;
  tokens: number;
  refreshed_at: Date;
}

export interface WebhookEventsTable {
  /** SHA-256 of the raw body: a replayed delivery of the same event has the same id. */
  event_id: string;
  kind: 'status' | 'inbound';
  sender_id: string | null;
  message_uuid: string;
  payload: ColumnType<unknown, string, string>;
  received_at: CreatedAt;
  processed_at: Date | null;
  reactions: ColumnType<Reaction[] | null, string | null, string | null>;
  reactions_done_at: Date | null;
}

export interface ServiceWindowsTable {
  sender_id: string;
  contact_id: string;
  last_inbound_at: Date;
}

export interface AutoRepliesTable {
  sender_id: string;
  contact_id: string;
  last_sent_at: Date;
}

export interface MessageStatusesTable {
  message_uuid: string;
  client_ref: string | null;
  sender_id: string | null;
  recipient: string;
  status: string;
  status_rank: number;
  status_at: Date;
  error_code: string | null;
  error_detail: string | null;
  price: string | null;
  currency: string | null;
  conversation_origin: string | null;
  updated_at: UpdatedAt;
}

export interface InboundMessagesTable {
  message_uuid: string;
  sender_id: string | null;
  from_number: string;
  message_type: string;
  text: string | null;
  button_payload: string | null;
  context_message_uuid: string | null;
  profile_name: string | null;
  sent_at: Date;
  received_at: CreatedAt;
}

export interface TemplatesTable {
  template_id: string;
  sender_id: string;
  name: string;
  namespace: string | null;
  language: string;
  category: string;
  content: ColumnType<TemplateContent, string, string>;
  status: ColumnType<TemplateStatus, TemplateStatus | undefined, TemplateStatus>;
  status_reason: string | null;
  status_updated_at: Date | null;
  provider_template_id: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type TemplateRow = Selectable<TemplatesTable>;

export interface ContactsTable {
  contact_id: string;
  whatsapp_number: string | null;
  external_id: string | null;
  display_name: string | null;
  locale: string | null;
  time_zone: string | null;
  attributes: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** False for contacts first seen as an inbound message and never registered by the business. */
  tracked: ColumnType<boolean, boolean | undefined, boolean>;
  /** The derived consent state per scope (null: never stated) and when it was expressed; see consent_events for the why. */
  marketing_consent: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  marketing_consent_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  utility_consent: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  utility_consent_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ConsentEventsTable {
  consent_event_id: ColumnType<string, never, never>;
  contact_id: string;
  channel: ColumnType<string, string | undefined, never>;
  scope: ConsentScope;
  granted: boolean;
  source: ConsentSource;
  proof: string | null;
  ip: string | null;
  user_agent: string | null;
  recorded_at: ColumnType<Date, Date | undefined, never>;
  effective_at: ColumnType<Date, Date | undefined, never>;
}

export interface PortfolioQuotasTable {
  portfolio_id: string;
  messaging_limit: number | null;
  allowance: number | null;
  sending_allowed: boolean;
  reason: string | null;
  window_ms: number;
  service_window_ms: number;
  updated_at: Date;
  /** GREEN, YELLOW, RED or UNKNOWN, as the governor last knew it. */
  quality: string | null;
  /** Distinct recipients in the window at the governor's last tick. */
  used_in_window: number | null;
  used_measured_at: Date | null;
}

export interface QuotaLedgerTable {
  portfolio_id: string;
  recipient: string;
  sender_id: string | null;
  consumer: string;
  counted_at: Date;
}

export interface CampaignsTable {
  campaign_id: string;
  name: string;
  sender_id: string;
  template_id: string;
  audience: ColumnType<Audience, string, string>;
  parameters: ColumnType<CreateCampaign['parameters'] | null, string | null, string | null>;
  schedule: ColumnType<Schedule, string, string>;
  rate_per_second: number | null;
  warmup: ColumnType<boolean, boolean | undefined, boolean>;
  quiet_hours: ColumnType<QuietHours | null, string | null | undefined, string | null>;
  status: CampaignStatus;
  status_reason: string | null;
  counts: ColumnType<CampaignCounts | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface CampaignMessagesTable {
  message_id: string;
  campaign_id: string;
  run_key: string;
  seq: number;
  contact_id: string;
  recipient: string;
  state: MessageState;
  reason: string | null;
  message_uuid: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  claimed_at: Date | null;
  sent_at: Date | null;
  not_before: ColumnType<Date | null, Date | null | undefined, Date | null>;
  updated_at: UpdatedAt;
}

export type ContactRow = Selectable<ContactsTable>;

export interface Database {
  senders: SendersTable;
  contacts: ContactsTable;
  consent_events: ConsentEventsTable;
  service_windows: ServiceWindowsTable;
  auto_replies: AutoRepliesTable;
  templates: TemplatesTable;
  webhook_events: WebhookEventsTable;
  message_statuses: MessageStatusesTable;
  inbound_messages: InboundMessagesTable;
  portfolio_quotas: PortfolioQuotasTable;
  quota_ledger: QuotaLedgerTable;
  campaigns: CampaignsTable;
  campaign_messages: CampaignMessagesTable;
  sender_throughput: SenderThroughputTable;
}

export type SenderRow = Selectable<SendersTable>;
export type NewSenderRow = Insertable<SendersTable>;
export type SenderRowUpdate = Updateable<SendersTable>;

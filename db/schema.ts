// The typed shape of every table, as kysely sees it. Column names are the
// snake_case of the API's names (senderId ↔ sender_id).
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

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
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface Database {
  senders: SendersTable;
}

export type SenderRow = Selectable<SendersTable>;
export type NewSenderRow = Insertable<SendersTable>;
export type SenderRowUpdate = Updateable<SendersTable>;

// Senders repository: the only code that reads or writes the senders table.
// Secrets are sealed on the way in; the API view carries only whether each is set.
import { randomUUID } from 'node:crypto';
import { normaliseWhatsAppNumber } from '../domain/phone-number.ts';
import { ConflictProblem, NotFoundProblem, ValidationProblem } from '../domain/problems.ts';
import {
  senderSettingsProblems,
  type CreateSender,
  type Sender,
  type SenderSettings,
  type UpdateSender,
} from '../domain/sender.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import { FOREIGN_KEY_VIOLATION, hasCode, UNIQUE_VIOLATION } from './sql-errors.ts';
import type { Db } from './database.ts';
import type { SenderRow, SenderRowUpdate } from './schema.ts';
import type { SecretBox } from './secret-box.ts';

const secretColumns = {
  apiSecret: 'api_secret_sealed',
  privateKey: 'private_key_sealed',
  signatureSecret: 'signature_secret_sealed',
} as const;
type SecretField = keyof typeof secretColumns;

export interface SenderCredentials {
  apiKey: string | null;
  apiSecret: string | null;
  applicationId: string | null;
  privateKey: string | null;
  signatureSecret: string | null;
}

export interface ListSendersPage {
  items: Sender[];
  nextCursor: string | null;
}

const isUniqueViolation = (error: unknown) => hasCode(error, UNIQUE_VIOLATION);

function duplicateNumber(number: string): ConflictProblem {
  return new ConflictProblem(`A sender with WhatsApp number ${number} already exists.`, [
    { field: 'whatsappNumber', message: 'is already registered to another sender' },
  ]);
}

function secretContext(senderId: string, field: SecretField): string {
  return `senders/${senderId}/${field}`;
}

function settingsOf(row: SenderRow): SenderSettings {
  return {
    apiKey: row.api_key,
    hasApiSecret: row.api_secret_sealed !== null,
    applicationId: row.application_id,
    hasPrivateKey: row.private_key_sealed !== null,
    autoReplyEnabled: row.auto_reply_enabled,
    autoReplyText: row.auto_reply_text,
  };
}

function assertSettingsValid(settings: SenderSettings): void {
  const problems = senderSettingsProblems(settings);
  if (problems.length > 0) throw new ValidationProblem(problems);
}

export function toSender(row: SenderRow): Sender {
  return {
    senderId: row.sender_id,
    nickname: row.nickname,
    whatsappNumber: row.whatsapp_number,
    apiKey: row.api_key,
    applicationId: row.application_id,
    wabaId: row.waba_id,
    portfolioId: row.portfolio_id,
    autoReplyEnabled: row.auto_reply_enabled,
    autoReplyText: row.auto_reply_text,
    throughputMps: row.throughput_mps,
    secrets: {
      apiSecret: row.api_secret_sealed !== null,
      privateKey: row.private_key_sealed !== null,
      signatureSecret: row.signature_secret_sealed !== null,
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class SendersRepository {
  readonly #db: Db;
  readonly #secrets: SecretBox;

  constructor(db: Db, secrets: SecretBox) {
    this.#db = db;
    this.#secrets = secrets;
  }

  #seal(senderId: string, field: SecretField, value: string | null | undefined): string | null {
    return value == null ? null : this.#secrets.seal(value, secretContext(senderId, field));
  }

  async create(input: Omit<CreateSender, 'throughputMps'> & { throughputMps?: number }): Promise<Sender> {
    const senderId = randomUUID();
    const now = new Date();
    const whatsappNumber = normaliseWhatsAppNumber(input.whatsappNumber);
    if (!whatsappNumber) throw new ValidationProblem([{ field: 'whatsappNumber', message: 'is not a valid phone number' }]);
    const row = {
      sender_id: senderId,
      nickname: input.nickname,
      whatsapp_number: whatsappNumber,
      api_key: input.apiKey ?? null,
      api_secret_sealed: this.#seal(senderId, 'apiSecret', input.apiSecret),
      application_id: input.applicationId ?? null,
      private_key_sealed: this.#seal(senderId, 'privateKey', input.privateKey),
      signature_secret_sealed: this.#seal(senderId, 'signatureSecret', input.signatureSecret),
      waba_id: input.wabaId ?? null,
      portfolio_id: input.portfolioId ?? null,
      auto_reply_enabled: input.autoReplyEnabled,
      auto_reply_text: input.autoReplyText ?? null,
      throughput_mps: input.throughputMps ?? 80,
      created_at: now,
      updated_at: now,
    };
    assertSettingsValid(settingsOf(row));
    try {
      const inserted = await this.#db.insertInto('senders').values(row).returningAll().executeTakeFirstOrThrow();
      return toSender(inserted);
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateNumber(whatsappNumber);
      throw error;
    }
  }

  async get(senderId: string): Promise<Sender> {
    return toSender(await this.#getRow(senderId));
  }

  async #getRow(senderId: string): Promise<SenderRow> {
    const row = await this.#db.selectFrom('senders').selectAll().where('sender_id', '=', senderId).executeTakeFirst();
    if (!row) throw new NotFoundProblem('Sender', senderId);
    return row;
  }

  /** Oldest first; the cursor is the last item's (created_at, sender_id), opaque to clients. */
  async list(limit: number, cursor?: string): Promise<ListSendersPage> {
    let query = this.#db.selectFrom('senders').selectAll().orderBy('created_at').orderBy('sender_id').limit(limit + 1);
    if (cursor) {
      const after = decodeCursor(cursor);
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('sender_id', '>', after.id)]),
        ]),
      );
    }
    return pageOf(await query.execute(), limit, (row) => ({ createdAt: row.created_at, id: row.sender_id }), toSender);
  }

  async update(senderId: string, patch: UpdateSender): Promise<Sender> {
    const changes: SenderRowUpdate = { updated_at: new Date() };
    if (patch.nickname !== undefined) changes.nickname = patch.nickname;
    if (patch.whatsappNumber !== undefined) {
      const normalised = normaliseWhatsAppNumber(patch.whatsappNumber);
      if (!normalised) throw new ValidationProblem([{ field: 'whatsappNumber', message: 'is not a valid phone number' }]);
      changes.whatsapp_number = normalised;
    }
    if (patch.apiKey !== undefined) changes.api_key = patch.apiKey;
    if (patch.applicationId !== undefined) changes.application_id = patch.applicationId;
    if (patch.wabaId !== undefined) changes.waba_id = patch.wabaId;
    if (patch.portfolioId !== undefined) changes.portfolio_id = patch.portfolioId;
    if (patch.autoReplyEnabled !== undefined) changes.auto_reply_enabled = patch.autoReplyEnabled;
    if (patch.autoReplyText !== undefined) changes.auto_reply_text = patch.autoReplyText;
    if (patch.throughputMps !== undefined) changes.throughput_mps = patch.throughputMps;
    for (const field of Object.keys(secretColumns) as SecretField[]) {
      if (patch[field] !== undefined) changes[secretColumns[field]] = this.#seal(senderId, field, patch[field]);
    }
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const current = await trx.selectFrom('senders').selectAll().where('sender_id', '=', senderId).forUpdate().executeTakeFirst();
        if (!current) throw new NotFoundProblem('Sender', senderId);
        assertSettingsValid(settingsOf({ ...current, ...changes }));
        const updated = await trx.updateTable('senders').set(changes).where('sender_id', '=', senderId).returningAll().executeTakeFirstOrThrow();
        return toSender(updated);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateNumber(changes.whatsapp_number ?? '');
      throw error;
    }
  }

  async delete(senderId: string): Promise<void> {
    let deleted: bigint;
    try {
      deleted = (await this.#db.deleteFrom('senders').where('sender_id', '=', senderId).executeTakeFirst()).numDeletedRows;
    } catch (error) {
      if (hasCode(error, FOREIGN_KEY_VIOLATION)) throw new ConflictProblem(`Sender ${senderId} still has templates; delete them first.`);
      throw error;
    }
    if (deleted === 0n) throw new NotFoundProblem('Sender', senderId);
  }

  /** The sender owning an api key, application id or WhatsApp number (E.164), if any. */
  async findId(by: { apiKey: string } | { applicationId: string } | { whatsappNumber: string }): Promise<string | undefined> {
    const [column, value] = 'apiKey' in by ? ['api_key', by.apiKey] as const
      : 'applicationId' in by ? ['application_id', by.applicationId] as const
        : ['whatsapp_number', by.whatsappNumber] as const;
    const row = await this.#db.selectFrom('senders').select('sender_id').where(column, '=', value).orderBy('created_at').executeTakeFirst();
    return row?.sender_id;
  }

  /** The numbers of a business portfolio (they share its messaging limit). */
  async portfolioNumbers(portfolioId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('senders').select('whatsapp_number').where('portfolio_id', '=', portfolioId).orderBy('created_at').execute();
    return rows.map((row) => row.whatsapp_number);
  }

  /** The WABAs of a business portfolio's numbers, where Meta reports their quality and the portfolio's limit. */
  async portfolioWabaIds(portfolioId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('senders').select('waba_id').distinct().where('portfolio_id', '=', portfolioId).where('waba_id', 'is not', null).orderBy('waba_id').execute();
    return rows.map((row) => row.waba_id!);
  }

  /** The portfolio a provider event names, by WABA id or by one of its numbers. */
  async portfolioOf(by: { wabaId: string } | { whatsappNumber: string }): Promise<string | undefined> {
    const query = this.#db.selectFrom('senders').select('portfolio_id').where('portfolio_id', 'is not', null);
    const row = await ('wabaId' in by ? query.where('waba_id', '=', by.wabaId) : query.where('whatsapp_number', '=', by.whatsappNumber)).executeTakeFirst();
    return row?.portfolio_id ?? undefined;
  }

  /** Every WhatsApp number (Vonage digits) registered under this API key or application id. */
  async numbersSharingCredentials(apiKey: string | null, applicationId: string | null): Promise<string[]> {
    const rows = await this.#db.selectFrom('senders').select('whatsapp_number')
      .where((eb) => eb.or([eb('api_key', '=', apiKey ?? ''), eb('application_id', '=', applicationId ?? '')]))
      .execute();
    return rows.map((row) => row.whatsapp_number.replace(/^\+/, ''));
  }

  /** Opens the sealed secrets, for the code that calls Vonage. Never for API responses or logs. */
  async credentials(senderId: string): Promise<SenderCredentials> {
    return (await this.withCredentials(senderId)).credentials;
  }

  /** The sender and its opened secrets from one read of its row. */
  async withCredentials(senderId: string): Promise<{ sender: Sender; credentials: SenderCredentials }> {
    const row = await this.#getRow(senderId);
    return { sender: toSender(row), credentials: this.#open(row) };
  }

  #open(row: SenderRow): SenderCredentials {
    const senderId = row.sender_id;
    const open = (field: SecretField) => {
      const sealed = row[secretColumns[field]];
      return sealed === null ? null : this.#secrets.open(sealed, secretContext(senderId, field));
    };
    return {
      apiKey: row.api_key,
      apiSecret: open('apiSecret'),
      applicationId: row.application_id,
      privateKey: open('privateKey'),
      signatureSecret: open('signatureSecret'),
    };
  }
}

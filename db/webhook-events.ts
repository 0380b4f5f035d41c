// Webhook events: stored first (idempotently, keyed by the body's hash), then
// applied. Applying is separate so the HTTP answer never waits for it, and a
// crash between the two is healed by processPending() at the next start.
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { statusRank } from '../domain/message-status.ts';
import { errorCodeFromProblem } from '../domain/vonage-errors.ts';
import type { InboundWebhook, StatusWebhook } from '../domain/webhook-payloads.ts';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

export type WebhookEvent =
  | { kind: 'status'; senderId: string | null; rawBody: string; payload: StatusWebhook }
  | { kind: 'inbound'; senderId: string | null; rawBody: string; payload: InboundWebhook };

type Executor = Transaction<Database>;

export class WebhookEventsRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Stores the event unless this exact body was stored before. Returns its id and whether it is new. */
  async record(event: WebhookEvent): Promise<{ eventId: string; isNew: boolean }> {
    const eventId = createHash('sha256').update(event.rawBody).digest('hex');
    const inserted = await this.#db
      .insertInto('webhook_events')
      .values({ event_id: eventId, kind: event.kind, sender_id: event.senderId, message_uuid: event.payload.message_uuid, payload: event.rawBody })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .executeTakeFirst();
    return { eventId, isNew: inserted !== undefined };
  }

  /** Applies one stored event, once: concurrent or repeated calls find it already processed. */
  async process(eventId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const event = await trx.selectFrom('webhook_events').selectAll().where('event_id', '=', eventId).where('processed_at', 'is', null).forUpdate().executeTakeFirst();
      if (!event) return false;
      if (event.kind === 'status') await applyStatus(trx, event.payload as StatusWebhook, event.sender_id);
      else await applyInbound(trx, event.payload as InboundWebhook, event.sender_id);
      await trx.updateTable('webhook_events').set({ processed_at: new Date() }).where('event_id', '=', eventId).execute();
      return true;
    });
  }

  /** Applies every stored event not yet applied, oldest first (after a crash between store and apply). */
  async processPending(): Promise<number> {
    const pending = await this.#db.selectFrom('webhook_events').select('event_id').where('processed_at', 'is', null).orderBy('received_at').execute();
    let applied = 0;
    for (const { event_id: eventId } of pending) if (await this.process(eventId)) applied++;
    return applied;
  }
}

/** Monotonic per message: the row only ever moves to a higher-ranked status, whatever order events arrive in. */
async function applyStatus(trx: Executor, payload: StatusWebhook, senderId: string | null): Promise<void> {
  const row = {
    message_uuid: payload.message_uuid,
    client_ref: payload.client_ref ?? null,
    sender_id: senderId,
    recipient: payload.to,
    status: payload.status,
    status_rank: statusRank(payload.status),
    status_at: new Date(payload.timestamp),
    error_code: payload.error ? errorCodeFromProblem(payload.error) ?? null : null,
    error_detail: payload.error?.detail ?? null,
    price: payload.usage?.price ?? null,
    currency: payload.usage?.currency ?? null,
    conversation_origin: payload.whatsapp?.conversation?.origin?.type ?? null,
    updated_at: new Date(),
  };
  await trx
    .insertInto('message_statuses')
    .values(row)
    .onConflict((oc) =>
      oc.column('message_uuid').doUpdateSet(() => {
        // The status moves only forward; facts that ride on one status only (price and
        // origin on delivered, client_ref on any) are kept whichever order events come in.
        const ifFurther = <T>(column: 'status' | 'status_rank' | 'status_at' | 'error_code' | 'error_detail') =>
          sql<T>`case when excluded.status_rank > message_statuses.status_rank then excluded.${sql.ref(column)} else message_statuses.${sql.ref(column)} end`;
        return {
          status: ifFurther<string>('status'),
          status_rank: ifFurther<number>('status_rank'),
          status_at: ifFurther<Date>('status_at'),
          error_code: ifFurther<string | null>('error_code'),
          error_detail: ifFurther<string | null>('error_detail'),
          client_ref: sql<string | null>`coalesce(message_statuses.client_ref, excluded.client_ref)`,
          price: sql<string | null>`coalesce(message_statuses.price, excluded.price)`,
          currency: sql<string | null>`coalesce(message_statuses.currency, excluded.currency)`,
          conversation_origin: sql<string | null>`coalesce(message_statuses.conversation_origin, excluded.conversation_origin)`,
          updated_at: new Date(),
        };
      }),
    )
    .execute();
}

async function applyInbound(trx: Executor, payload: InboundWebhook, senderId: string | null): Promise<void> {
  await trx
    .insertInto('inbound_messages')
    .values({
      message_uuid: payload.message_uuid,
      sender_id: senderId,
      from_number: payload.from,
      message_type: payload.message_type,
      text: payload.text ?? payload.button?.text ?? payload.reply?.title ?? null,
      button_payload: payload.button?.payload ?? payload.reply?.id ?? null,
      context_message_uuid: payload.context?.message_uuid ?? null,
      profile_name: payload.profile?.name ?? null,
      sent_at: new Date(payload.timestamp),
    })
    .onConflict((oc) => oc.column('message_uuid').doNothing())
    .execute();
}

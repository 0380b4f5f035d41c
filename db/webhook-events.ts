// Webhook events: stored first (idempotently, keyed by the body's hash), then
// applied. Applying is separate so the HTTP answer never waits for it, and a
// crash between the two is healed by processPending() at the next start.
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { consentScopes } from '../domain/consent.ts';
import { defaultKeywords, keywordIntent, type KeywordSettings, type Reaction } from '../domain/inbound.ts';
import { statusRank } from '../domain/message-status.ts';
import { normaliseWhatsAppNumber } from '../domain/phone-number.ts';
import { appendConsent, contactForInbound } from './contacts.ts';
import { errorCodeFromProblem } from '../domain/vonage-errors.ts';
import type { InboundWebhook, StatusWebhook } from '../domain/webhook-payloads.ts';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

export type WebhookEvent =
  | { kind: 'status'; senderId: string | null; rawBody: string; payload: StatusWebhook }
  | { kind: 'inbound'; senderId: string | null; rawBody: string; payload: InboundWebhook };

type Executor = Transaction<Database>;

/** Replies go out only while the 24 h window is surely still open (an hour's margin). */
const REPLY_WINDOW_MS = 23 * 3600_000;

export class WebhookEventsRepository {
  readonly #db: Db;
  readonly #keywords: KeywordSettings;

  constructor(db: Db, keywords: KeywordSettings = defaultKeywords) {
    this.#db = db;
    this.#keywords = keywords;
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

  /**
   * Applies one stored event, once: concurrent or repeated calls find it already
   * processed. Returns the messages it owes (confirmations, auto-replies), kept
   * with the event until react() says they were handed to Temporal.
   */
  async process(eventId: string): Promise<Reaction[] | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const event = await trx.selectFrom('webhook_events').selectAll().where('event_id', '=', eventId).where('processed_at', 'is', null).forUpdate().executeTakeFirst();
      if (!event) return undefined;
      let reactions: Reaction[] = [];
      if (event.kind === 'status') await applyStatus(trx, event.payload as StatusWebhook, event.sender_id);
      else reactions = await applyInbound(trx, event.payload as InboundWebhook, event.sender_id, this.#keywords);
      await trx.updateTable('webhook_events').set({
        processed_at: new Date(),
        reactions: reactions.length > 0 ? JSON.stringify(reactions) : null,
        reactions_done_at: reactions.length > 0 ? null : new Date(),
      }).where('event_id', '=', eventId).execute();
      return reactions;
    });
  }

  async markReacted(eventId: string): Promise<void> {
    await this.#db.updateTable('webhook_events').set({ reactions_done_at: new Date() }).where('event_id', '=', eventId).execute();
  }

  /** Events applied but whose reactions were not yet handed over (a crash in between). */
  async pendingReactions(): Promise<{ eventId: string; reactions: Reaction[] }[]> {
    const rows = await this.#db.selectFrom('webhook_events').select(['event_id', 'reactions'])
      .where('processed_at', 'is not', null).where('reactions_done_at', 'is', null).orderBy('received_at').execute();
    return rows.map((row) => ({ eventId: row.event_id, reactions: row.reactions ?? [] }));
  }

  /** Every stored event not yet applied, oldest first (after a crash between store and apply). */
  async unprocessed(): Promise<string[]> {
    const rows = await this.#db.selectFrom('webhook_events').select('event_id').where('processed_at', 'is', null).orderBy('received_at').execute();
    return rows.map((row) => row.event_id);
  }

  /** Applies every stored event not yet applied. (Reactions of these are left to the caller's pendingReactions pass.) */
  async processPending(): Promise<number> {
    let applied = 0;
    for (const eventId of await this.unprocessed()) if (await this.process(eventId)) applied++;
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

/**
 * An inbound message: stored; its contact found or created (untracked, no
 * consent); the 24 h service window opened; a whole-message keyword or an
 * opt-out button changes consent with the message as proof; an untracked
 * contact may get the sender's auto-reply, once per 24 h.
 */
async function applyInbound(trx: Executor, payload: InboundWebhook, senderId: string | null, keywords: KeywordSettings): Promise<Reaction[]> {
  const stored = await trx
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
    .returning('message_uuid')
    .executeTakeFirst();
  const from = normaliseWhatsAppNumber(payload.from);
  if (!stored || !senderId || !from) return []; // a message seen before, or not from a number we can act on

  const contact = await contactForInbound(trx, from, payload.profile?.name ?? null);
  const sentAt = new Date(payload.timestamp);
  await trx.insertInto('service_windows').values({ sender_id: senderId, contact_id: contact.contact_id, last_inbound_at: sentAt })
    .onConflict((oc) => oc.columns(['sender_id', 'contact_id']).doUpdateSet({ last_inbound_at: sql<Date>`greatest(service_windows.last_inbound_at, excluded.last_inbound_at)` }))
    .execute();

  // A message applied long after it was sent (downtime, a stuck event) no longer opens a window we can answer in.
  const canReply = Date.now() - sentAt.getTime() < REPLY_WINDOW_MS;
  const said = payload.text ?? (payload.message_type === 'button' ? payload.button?.payload : undefined) ?? null;
  const intent = keywordIntent(said, keywords);
  const proof = `inbound message ${payload.message_uuid}: "${(said ?? '').slice(0, 200)}"`;
  if (intent) {
    for (const scope of consentScopes) await appendConsent(trx, contact.contact_id, { scope, granted: intent === 'opt-in', source: 'keyword', proof, effectiveAt: sentAt });
    return intent === 'opt-out' && canReply
      ? [{ kind: 'opt-out-confirmation', senderId, to: from, text: keywords.optOutConfirmation, key: `optout-${payload.message_uuid}` }]
      : [];
  }

  if (contact.tracked || !canReply) return [];
  const sender = await trx.selectFrom('senders').select(['auto_reply_enabled', 'auto_reply_text']).where('sender_id', '=', senderId).executeTakeFirst();
  if (!sender?.auto_reply_enabled || !sender.auto_reply_text) return [];
  // At most once per contact per 24 h: the row only moves when the last reply is a day old.
  const due = await trx.insertInto('auto_replies').values({ sender_id: senderId, contact_id: contact.contact_id, last_sent_at: sentAt })
    .onConflict((oc) => oc.columns(['sender_id', 'contact_id']).doUpdateSet({ last_sent_at: sentAt })
      .where('auto_replies.last_sent_at', '<=', new Date(sentAt.getTime() - 24 * 3600_000)))
    .returning('contact_id')
    .executeTakeFirst();
  return due ? [{ kind: 'auto-reply', senderId, to: from, text: sender.auto_reply_text, key: `autoreply-${payload.message_uuid}` }] : [];
}

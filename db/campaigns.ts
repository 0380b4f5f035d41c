// Campaigns and their durable recipient lists. The API writes the campaign
// row; the campaign workflow, through activities, snapshots the audience into
// campaign_messages and moves each message PENDING → CLAIMED → SENT / FAILED /
// AMBIGUOUS / SKIPPED. Every transition is a guarded UPDATE (… where state =
// the expected one), so a retried or restarted batch can only skip what is
// already done, never send it twice.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { campaignWorkflowId, emptyCounts, operatorPauseReason, skipReasons, type CampaignCounts, type CampaignStatus, type CreateCampaign, type MessageState, type QuietHours } from '../domain/campaign.ts';
import type { ConsentScope } from '../domain/consent.ts';
import { NotFoundProblem, ValidationProblem } from '../domain/problems.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import type { Db } from './database.ts';
import type { CampaignMessagesTable, CampaignsTable } from './schema.ts';
import type { Selectable } from 'kysely';
import { FOREIGN_KEY_VIOLATION, hasCode } from './sql-errors.ts';

export type CampaignRow = Selectable<CampaignsTable>;
export type CampaignMessageRow = Selectable<CampaignMessagesTable>;

export interface Campaign {
  campaignId: string;
  name: string;
  senderId: string;
  templateId: string;
  audience: CreateCampaign['audience'];
  parameters: NonNullable<CreateCampaign['parameters']> | null;
  schedule: CreateCampaign['schedule'];
  ratePerSecond: number | null;
  warmup: boolean;
  quietHours: QuietHours | null;
  status: CampaignStatus;
  statusReason: string | null;
  workflowId: string;
  createdAt: string;
  updatedAt: string;
}

export function toCampaign(row: CampaignRow): Campaign {
  return {
    campaignId: row.campaign_id,
    name: row.name,
    senderId: row.sender_id,
    templateId: row.template_id,
    audience: row.audience,
    parameters: row.parameters ?? null,
    schedule: row.schedule,
    ratePerSecond: row.rate_per_second,
    warmup: row.warmup,
    quietHours: row.quiet_hours ?? null,
    status: row.status,
    statusReason: row.status_reason,
    workflowId: campaignWorkflowId(row.campaign_id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A message ready to send: its row and what the contact says now. */
export interface SendCandidate {
  messageId: string;
  contactId: string;
  recipient: string;
  /** The contact's current number and consent: a number change or an opt-out since the snapshot counts. */
  currentNumber: string | null;
  consented: boolean;
  displayName: string | null;
  externalId: string | null;
  locale: string | null;
  timeZone: string | null;
  attributes: Record<string, unknown>;
}

export interface MessagePageItem {
  messageId: string;
  contactId: string;
  recipient: string;
  state: MessageState;
  reason: string | null;
  messageUuid: string | null;
  deliveryStatus: string | null;
  errorCode: string | null;
  sentAt: string | null;
  updatedAt: string;
}

export type SettleOutcome = { state: 'SENT'; messageUuid: string | null } | { state: 'FAILED'; reason: string } | { state: 'AMBIGUOUS'; reason: string }
  /** Back to the list; with notBefore, not looked at again until then (retry back-off). */
  | { state: 'PENDING'; reason: string; notBefore?: Date };
export interface Settlement {
  messageId: string;
  /** The claim's attempt number (claimForSend). */
  attempt: number;
  outcome: SettleOutcome;
}

/** A status for a message claimed this much later than an unconfirmed one shows webhooks have caught up past it. */
const WEBHOOK_CAUGHT_UP_MARGIN_MS = 10_000;

const consentColumn = (scope: ConsentScope) => (scope === 'MARKETING' ? 'marketing_consent' : 'utility_consent');

export class CampaignsRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(input: CreateCampaign, status: CampaignStatus): Promise<Campaign> {
    const now = new Date();
    try {
      const row = await this.#db.insertInto('campaigns').values({
        campaign_id: randomUUID(),
        name: input.name,
        sender_id: input.senderId,
        template_id: input.templateId,
        audience: JSON.stringify(input.audience),
        parameters: input.parameters === undefined ? null : JSON.stringify(input.parameters),
        schedule: JSON.stringify(input.schedule),
        rate_per_second: input.ratePerSecond ?? null,
        warmup: input.warmup,
        quiet_hours: input.quietHours ? JSON.stringify(input.quietHours) : null,
        status,
        created_at: now,
        updated_at: now,
      }).returningAll().executeTakeFirstOrThrow();
      return toCampaign(row);
    } catch (error) {
      if (hasCode(error, FOREIGN_KEY_VIOLATION)) {
        const field = String((error as { constraint?: string }).constraint ?? '').includes('template') ? 'templateId' : 'senderId';
        throw new ValidationProblem([{ field, message: field === 'templateId' ? 'is not a template' : 'is not a sender' }]);
      }
      throw error;
    }
  }

  /** Only for a campaign whose workflow never started (its messages go with it). */
  async delete(campaignId: string): Promise<void> {
    await this.#db.deleteFrom('campaigns').where('campaign_id', '=', campaignId).execute();
  }

  async getRow(campaignId: string): Promise<CampaignRow> {
    const row = await this.#db.selectFrom('campaigns').selectAll().where('campaign_id', '=', campaignId).executeTakeFirst();
    if (!row) throw new NotFoundProblem('Campaign', campaignId);
    return row;
  }

  async get(campaignId: string): Promise<Campaign> {
    return toCampaign(await this.getRow(campaignId));
  }

  async list(limit: number, cursor?: string): Promise<{ items: Campaign[]; nextCursor: string | null }> {
    let query = this.#db.selectFrom('campaigns').selectAll().orderBy('created_at', 'desc').orderBy('campaign_id', 'desc').limit(limit + 1);
    if (cursor) {
      const position = decodeCursor(cursor);
      query = query.where((eb) => eb.or([
        eb('created_at', '<', position.createdAt),
        eb.and([eb('created_at', '=', position.createdAt), eb('campaign_id', '<', position.id)]),
      ]));
    }
    const rows = await query.execute();
    return pageOf(rows, limit, (row) => ({ createdAt: row.created_at, id: row.campaign_id }), toCampaign);
  }

  /**
   * With `unlessStopped`, an operator's stop of a recurring campaign (CANCELLED, or PAUSED by an operator
   * through the API) stays; a PAUSED the run wrote itself does not. The counts are written all the same.
   */
  async setStatus(campaignId: string, status: CampaignStatus, reason: string | null, counts?: CampaignCounts, unlessStopped = false): Promise<void> {
    const stopped = sql<boolean>`(status = 'CANCELLED' or (status = 'PAUSED' and status_reason = ${operatorPauseReason}))`;
    await this.#db.updateTable('campaigns').set({
      ...(unlessStopped
        ? { status: sql<CampaignStatus>`case when ${stopped} then status else ${status} end`, status_reason: sql<string | null>`case when ${stopped} then status_reason else ${reason} end` }
        : { status, status_reason: reason }),
      updated_at: new Date(),
      ...(counts ? { counts: JSON.stringify(counts) } : {}),
    }).where('campaign_id', '=', campaignId).execute();
  }

  /**
   * The run's durable recipient list: every contact of the audience with a
   * number and consent for the scope, in a fixed order, each with its own
   * message id. Idempotent: a run that has a list keeps it.
   */
  async snapshot(campaignId: string, runKey: string, scope: ConsentScope): Promise<number> {
    // Two attempts of the snapshot (a retry beside a slow original) take turns: the second finds the list made.
    return this.#db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`${campaignId}/${runKey}`}))`.execute(trx);
      return new CampaignsRepository(trx).#snapshotLocked(campaignId, runKey, scope);
    });
  }

  async #snapshotLocked(campaignId: string, runKey: string, scope: ConsentScope): Promise<number> {
    const existing = await this.#count(campaignId, runKey);
    if (existing > 0) return existing;
    const campaign = await this.getRow(campaignId);
    const audience = campaign.audience;
    const consent = sql.ref(`c.${consentColumn(scope)}`);
    const filter = audience.kind === 'filter' ? sql`and c.attributes @> ${JSON.stringify(audience.attributes)}::jsonb`
      : audience.kind === 'list' ? sql`and c.contact_id = any(${audience.contactIds}::uuid[])`
        : sql``;
    // A warm-up reaches the most engaged first: the latest reply or read, newest first, then the rest in list order.
    const engagement = campaign.warmup
      ? sql`left join (
          select number, max(at) as engaged_at from (
            select '+' || ltrim(from_number, '+') as number, sent_at as at from inbound_messages
            union all
            select '+' || ltrim(recipient, '+'), status_at from message_statuses where status = 'read'
          ) signals group by number
        ) e on e.number = c.whatsapp_number`
      : sql`left join (select null::text as number, null::timestamptz as engaged_at) e on false`;
    await sql`
      insert into campaign_messages (message_id, campaign_id, run_key, seq, contact_id, recipient, state)
      select gen_random_uuid(), ${campaignId}::uuid, ${runKey}, row_number() over (order by e.engaged_at desc nulls last, c.created_at, c.contact_id), c.contact_id, c.whatsapp_number, 'PENDING'
      from contacts c ${engagement}
      where c.whatsapp_number is not null and ${consent} is true ${filter}
      on conflict do nothing`.execute(this.#db);
    return this.#count(campaignId, runKey);
  }

  async #count(campaignId: string, runKey: string): Promise<number> {
    const row = await this.#db.selectFrom('campaign_messages').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('campaign_id', '=', campaignId).where('run_key', '=', runKey).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The next PENDING messages in list order, with the contact as it is now. */
  async pending(campaignId: string, runKey: string, scope: ConsentScope, limit: number): Promise<SendCandidate[]> {
    const rows = await this.#db.selectFrom('campaign_messages as m')
      .innerJoin('contacts as c', 'c.contact_id', 'm.contact_id')
      .select(['m.message_id', 'm.contact_id', 'm.recipient', 'c.whatsapp_number', 'c.display_name', 'c.external_id', 'c.locale', 'c.time_zone', 'c.attributes'])
      .select(sql<boolean | null>`${sql.ref(`c.${consentColumn(scope)}`)}`.as('consent'))
      .where('m.campaign_id', '=', campaignId).where('m.run_key', '=', runKey).where('m.state', '=', 'PENDING')
      .where((eb) => eb.or([eb('m.not_before', 'is', null), eb('m.not_before', '<=', sql<Date>`now()`)]))
      .orderBy('m.seq').limit(limit).execute();
    return rows.map((row) => ({
      messageId: row.message_id,
      contactId: row.contact_id,
      recipient: row.recipient,
      currentNumber: row.whatsapp_number,
      consented: row.consent === true,
      displayName: row.display_name,
      externalId: row.external_id,
      locale: row.locale,
      timeZone: row.time_zone,
      attributes: row.attributes,
    }));
  }

  /**
   * PENDING → CLAIMED, in the same statement that checks the contact's consent
   * as it is at this instant: an opt-out committed before the claim stops the
   * send, whenever the audience was snapshotted or the batch began. 'no-consent'
   * also marks the message SKIPPED; 'taken' means another attempt has it. A
   * claim is its attempt number: only that claim may settle the message.
   */
  async claimForSend(messageIds: readonly string[], scope: ConsentScope): Promise<Map<string, number | 'no-consent' | 'taken'>> {
    const outcome = new Map<string, number | 'no-consent' | 'taken'>();
    if (messageIds.length === 0) return outcome;
    const claimed = await sql<{ message_id: string; attempts: number }>`
      update campaign_messages m set state = 'CLAIMED', claimed_at = now(), attempts = m.attempts + 1, updated_at = now()
      from contacts c
      where c.contact_id = m.contact_id and m.message_id = any(${[...messageIds]}::uuid[]) and m.state = 'PENDING' and ${sql.ref(`c.${consentColumn(scope)}`)} is true
      returning m.message_id, m.attempts`.execute(this.#db);
    for (const row of claimed.rows) outcome.set(row.message_id, row.attempts);
    const rest = messageIds.filter((id) => !outcome.has(id));
    if (rest.length > 0) {
      const skipped = await this.#db.updateTable('campaign_messages').set({ state: 'SKIPPED', reason: skipReasons.noConsent, updated_at: new Date() })
        .where('message_id', 'in', rest).where('state', '=', 'PENDING').returning('message_id').execute();
      for (const row of skipped) outcome.set(row.message_id, 'no-consent');
      for (const id of rest) if (!outcome.has(id)) outcome.set(id, 'taken');
    }
    return outcome;
  }

  /**
   * Ends claims: SENT with Vonage's uuid, FAILED or AMBIGUOUS, or back to
   * PENDING (nothing left). A stale attempt whose claim was released and taken
   * again (its attempt number moved on) changes nothing. One statement for many.
   */
  async settle(settlements: readonly Settlement[]): Promise<void> {
    if (settlements.length === 0) return;
    const rows = settlements.map(({ messageId, attempt, outcome }) => sql`(${messageId}::uuid, ${attempt}::int, ${outcome.state}, ${'reason' in outcome ? outcome.reason : null}::text, ${outcome.state === 'SENT' ? outcome.messageUuid : null}::text, ${outcome.state === 'PENDING' ? outcome.notBefore ?? null : null}::timestamptz)`);
    await sql`
      update campaign_messages m set state = v.state, reason = v.reason,
        message_uuid = case when v.state = 'SENT' then v.message_uuid else m.message_uuid end,
        sent_at = case when v.state = 'SENT' then now() else m.sent_at end,
        not_before = v.not_before,
        updated_at = now()
      from (values ${sql.join(rows)}) as v(message_id, attempt, state, reason, message_uuid, not_before)
      where m.message_id = v.message_id and m.state = 'CLAIMED' and m.attempts = v.attempt`.execute(this.#db);
  }

  /** Holds PENDING messages until a time (the recipient's quiet hours end). */
  async holdUntil(messageIds: readonly string[], until: Date): Promise<void> {
    if (messageIds.length === 0) return;
    await this.#db.updateTable('campaign_messages').set({ not_before: until, reason: `quiet hours until ${until.toISOString()}`, updated_at: new Date() })
      .where('message_id', 'in', [...messageIds]).where('state', '=', 'PENDING').execute();
  }

  /** The earliest time a held PENDING message of the run becomes sendable; null when none is held. */
  async nextHeld(campaignId: string, runKey: string): Promise<Date | null> {
    const row = await this.#db.selectFrom('campaign_messages').select((eb) => eb.fn.min('not_before').as('at'))
      .where('campaign_id', '=', campaignId).where('run_key', '=', runKey).where('state', '=', 'PENDING').where('not_before', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row?.at ? new Date(row.at) : null;
  }

  /** PENDING → SKIPPED with a reason (no consent now, a missing parameter, cancelled). */
  async skip(messageIds: string[], reason: string): Promise<void> {
    if (messageIds.length === 0) return;
    await this.#db.updateTable('campaign_messages').set({ state: 'SKIPPED', reason, updated_at: new Date() })
      .where('message_id', 'in', messageIds).where('state', '=', 'PENDING').execute();
  }

  /** Every PENDING message of the run → SKIPPED (a cancelled campaign). */
  async skipRemaining(campaignId: string, runKey: string, reason: string): Promise<number> {
    const result = await this.#db.updateTable('campaign_messages').set({ state: 'SKIPPED', reason, updated_at: new Date() })
      .where('campaign_id', '=', campaignId).where('run_key', '=', runKey).where('state', '=', 'PENDING').executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Settles messages whose send may or may not have left (AMBIGUOUS, or CLAIMED
   * by a batch that crashed): a status webhook carrying the message id as
   * client_ref proves it went, so it is SENT; with no sign of it after the
   * deadline, once webhooks have demonstrably caught up past it, it goes back
   * to PENDING to be sent again (same client_ref).
   */
  async reconcile(campaignId: string, runKey: string, deadlineMs: number): Promise<{ confirmed: number; released: number; open: number }> {
    const confirmed = await sql<{ message_id: string }>`
      update campaign_messages m set state = 'SENT', message_uuid = s.message_uuid, sent_at = coalesce(m.sent_at, s.status_at), reason = null, updated_at = now()
      from message_statuses s
      where s.client_ref = m.message_id::text and m.campaign_id = ${campaignId}::uuid and m.run_key = ${runKey} and m.state in ('AMBIGUOUS', 'CLAIMED')
      returning m.message_id`.execute(this.#db);
    // A status webhook stored but not yet applied is just as much a sign of life.
    const stored = await sql<{ message_id: string }>`
      update campaign_messages m set state = 'SENT', message_uuid = e.message_uuid, reason = null, updated_at = now()
      from webhook_events e
      where e.kind = 'status' and e.processed_at is null and e.payload->>'client_ref' = m.message_id::text and m.campaign_id = ${campaignId}::uuid and m.run_key = ${runKey} and m.state in ('AMBIGUOUS', 'CLAIMED')
      returning m.message_id`.execute(this.#db);
    // Silence proves nothing while webhooks lag: a send is released only once status webhooks have
    // arrived for messages of this campaign claimed well after it (they caught up past it), or when
    // none has come for four deadlines (webhooks not reaching us at all).
    const [watermark] = (await sql<{ seen_until: Date | null }>`
      select max(m.claimed_at) as seen_until from campaign_messages m join message_statuses s on s.client_ref = m.message_id::text
      where m.campaign_id = ${campaignId}::uuid and m.run_key = ${runKey}`.execute(this.#db)).rows;
    const seenUntil = watermark?.seen_until ?? null;
    const released = await this.#db.updateTable('campaign_messages')
      .set({ state: 'PENDING', reason: 'no sign of the ambiguous send before the reconciliation deadline: sending again', updated_at: new Date() })
      .where('campaign_id', '=', campaignId).where('run_key', '=', runKey).where('state', 'in', ['AMBIGUOUS', 'CLAIMED'])
      .where('claimed_at', '<', sql<Date>`now() - make_interval(secs => ${deadlineMs / 1000})`)
      .where((eb) => eb.or([
        ...(seenUntil ? [eb('claimed_at', '<', new Date(seenUntil.getTime() - WEBHOOK_CAUGHT_UP_MARGIN_MS))] : []),
        eb('claimed_at', '<', sql<Date>`now() - make_interval(secs => ${(4 * deadlineMs) / 1000})`),
      ]))
      .executeTakeFirst();
    const open = await this.#db.selectFrom('campaign_messages').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('campaign_id', '=', campaignId).where('run_key', '=', runKey).where('state', 'in', ['AMBIGUOUS', 'CLAIMED'])
      .executeTakeFirstOrThrow();
    return { confirmed: confirmed.rows.length + stored.rows.length, released: Number(released.numUpdatedRows), open: Number(open.n) };
  }

  /** Live counts of a campaign (every run), with delivery from the status webhooks. */
  /** Where every message of the campaign (or of one of its runs) stands, delivery included. */
  async counts(campaignId: string, runKey?: string): Promise<CampaignCounts> {
    const rows = await sql<{ state: MessageState; reason: string | null; status: string | null; n: string }>`
      select m.state, m.reason, s.status, count(*) as n
      from campaign_messages m
      left join message_statuses s on s.message_uuid = m.message_uuid
      where m.campaign_id = ${campaignId}::uuid ${runKey === undefined ? sql`` : sql`and m.run_key = ${runKey}`}
      group by 1, 2, 3`.execute(this.#db);
    const counts = emptyCounts();
    for (const row of rows.rows) {
      const n = Number(row.n);
      counts.audience += n;
      if (row.state === 'PENDING' || row.state === 'CLAIMED') counts.pending += n;
      else if (row.state === 'AMBIGUOUS') counts.ambiguous += n;
      else if (row.state === 'SKIPPED') {
        counts.skipped += n;
        counts.skippedByReason[row.reason ?? 'unknown'] = (counts.skippedByReason[row.reason ?? 'unknown'] ?? 0) + n;
      } else if (row.state === 'FAILED' || row.status === 'rejected' || row.status === 'undeliverable') {
        counts.failed += n;
        const reason = row.reason ?? `provider: ${row.status ?? 'failed'}`;
        counts.failedByReason[reason] = (counts.failedByReason[reason] ?? 0) + n;
      } else {
        counts.sent += n;
        if (row.status === 'delivered' || row.status === 'read') counts.delivered += n;
        if (row.status === 'read') counts.read += n;
      }
    }
    return counts;
  }

  async messages(campaignId: string, limit: number, cursor?: string): Promise<{ items: MessagePageItem[]; nextCursor: string | null }> {
    let query = this.#db.selectFrom('campaign_messages as m')
      .leftJoin('message_statuses as s', 's.message_uuid', 'm.message_uuid')
      .select(['m.message_id', 'm.contact_id', 'm.recipient', 'm.state', 'm.reason', 'm.message_uuid', 'm.sent_at', 'm.updated_at', 'm.run_key', 'm.seq', 's.status', 's.error_code'])
      .where('m.campaign_id', '=', campaignId)
      .orderBy('m.run_key').orderBy('m.seq').limit(limit + 1);
    if (cursor) {
      const position = decodeCursor(cursor);
      query = query.where(sql<boolean>`(m.run_key, m.seq) > (select run_key, seq from campaign_messages where message_id = ${position.id}::uuid)`);
    }
    const rows = await query.execute();
    return pageOf(rows, limit, (row) => ({ createdAt: row.updated_at, id: row.message_id }), (row) => ({
      messageId: row.message_id,
      contactId: row.contact_id,
      recipient: row.recipient,
      state: row.state,
      reason: row.reason,
      messageUuid: row.message_uuid,
      deliveryStatus: row.status,
      errorCode: row.error_code,
      sentAt: row.sent_at?.toISOString() ?? null,
      updatedAt: row.updated_at.toISOString(),
    }));
  }
}

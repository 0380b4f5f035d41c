// Delivers signed webhooks the way Vonage does: compact JSON, a fresh HS256
// signature per attempt, and retries with doubling backoff while the receiver
// answers non-2xx or cannot be reached. The latest deliveries, with every
// attempt, are kept for inspection.
import { signWebhook } from '../webhook-signature.ts';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** Vonage: ≈5 s doubling to 15 min, for 24 h. Tests and demos shorten it. */
export const vonageRetryPolicy: RetryPolicy = { initialDelayMs: 5_000, maxDelayMs: 900_000, maxAttempts: 96 };

export interface DeliveryAttempt {
  at: string;
  statusCode?: number;
  error?: string;
}

export interface WebhookDelivery {
  kind: 'status' | 'inbound' | 'meta';
  url: string;
  messageUuid: string;
  /** The status for status webhooks, the message type for inbound. */
  event: string;
  body: string;
  attempts: DeliveryAttempt[];
  outcome: 'pending' | 'delivered' | 'abandoned';
}

export interface WebhookTarget {
  url: string;
  signatureSecret?: string | undefined;
  apiKey: string;
  applicationId?: string | undefined;
  /** Headers that sign the body another way (Meta's X-Hub-Signature-256) instead of Vonage's JWT. */
  sign?: (body: string) => Record<string, string>;
}

/**
 * Posts in flight at once. Vonage's platform spreads its webhooks over many
 * machines; one process opening a socket per webhook would spend its time
 * connecting and drown the receiver, so deliveries past this wait their turn.
 */
const MAX_IN_FLIGHT = 64;

/** Deliveries kept for inspection: a benchmark's hundreds of thousands would otherwise keep the garbage collector busy. */
const RETAINED_DELIVERIES = 50_000;

/** First in, first out, without Array#shift's copy of everything behind: the queue can grow to a benchmark's backlog. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4_096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

export class WebhookSender {
  /** The latest deliveries (at least the last 50,000), oldest first. */
  readonly deliveries: WebhookDelivery[] = [];
  /** Deliveries scheduled since the start or the last clear. */
  scheduled = 0;
  #policy: RetryPolicy;
  #timers = new Set<NodeJS.Timeout>();
  #closed = false;
  #inFlight = 0;
  readonly #waiting = new Fifo<() => void>();

  constructor(policy: RetryPolicy) {
    this.#policy = policy;
  }

  set policy(policy: RetryPolicy) {
    this.#policy = policy;
  }

  get policy(): RetryPolicy {
    return this.#policy;
  }

  /** Sends after `delayMs`; resolves when delivered or abandoned (tests may await it, the simulator does not). */
  schedule(target: WebhookTarget, kind: WebhookDelivery['kind'], messageUuid: string, event: string, payload: object, delayMs = 0): Promise<WebhookDelivery> {
    const delivery: WebhookDelivery = { kind, url: target.url, messageUuid, event, body: JSON.stringify(payload), attempts: [], outcome: 'pending' };
    this.deliveries.push(delivery);
    this.scheduled++;
    if (this.deliveries.length > 2 * RETAINED_DELIVERIES) this.deliveries.splice(0, this.deliveries.length - RETAINED_DELIVERIES);
    return new Promise((resolve) => {
      const attempt = async (attemptNumber: number) => {
        if (this.#closed) return resolve(delivery);
        const ok = await this.#post(target, delivery);
        if (ok || attemptNumber >= this.#policy.maxAttempts) {
          delivery.outcome = ok ? 'delivered' : 'abandoned';
          return resolve(delivery);
        }
        const backoff = Math.min(this.#policy.initialDelayMs * 2 ** (attemptNumber - 1), this.#policy.maxDelayMs);
        this.#later(() => attempt(attemptNumber + 1), backoff);
      };
      this.#later(() => attempt(1), delayMs);
    });
  }

  async #post(target: WebhookTarget, delivery: WebhookDelivery): Promise<boolean> {
    if (this.#inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#inFlight++;
    try {
      return await this.#postNow(target, delivery);
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }

  async #postNow(target: WebhookTarget, delivery: WebhookDelivery): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vonage-simulator' };
    if (target.sign) {
      Object.assign(headers, target.sign(delivery.body));
    } else if (target.signatureSecret) {
      headers.authorization = `Bearer ${signWebhook(delivery.body, target.signatureSecret, { apiKey: target.apiKey, applicationId: target.applicationId })}`;
    }
    const at = new Date().toISOString();
    try {
      const response = await fetch(target.url, { method: 'POST', headers, body: delivery.body, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      delivery.attempts.push({ at, statusCode: response.status });
      return response.status >= 200 && response.status < 300;
    } catch (error) {
      delivery.attempts.push({ at, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  #later(fn: () => Promise<void> | void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void fn();
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Drops every pending delivery (reset, shutdown). */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.deliveries.length = 0;
    this.scheduled = 0;
  }

  close(): void {
    this.#closed = true;
    this.clear();
  }
}

// Meta's Graph API, read-only, for the one thing the engine cannot get from
// Vonage: a portfolio's messaging limit, quality and number status. Vonage owns
// the Meta app subscription and may not forward those webhooks, so the warm-up
// governor polls this as well. Needs a system-user access token; the token is
// sent as a bearer header and never logged.
import { z } from 'zod';
import type { GraphPhoneNumber } from '../domain/meta-limit-events.ts';

export interface MetaGraphOptions {
  /** e.g. https://graph.facebook.com/v23.0, or the simulator's /graph/v23.0 locally. */
  baseUrl: string;
  accessToken: string;
  timeoutMs?: number;
}

const phoneNumbersPage = z.object({
  data: z.array(z.looseObject({
    display_phone_number: z.string().optional(),
    quality_rating: z.string().optional(),
    whatsapp_business_manager_messaging_limit: z.string().optional(),
    status: z.string().optional(),
  })),
  paging: z.looseObject({ next: z.url().optional() }).optional(),
});

const graphErrorBody = z.object({ error: z.looseObject({ message: z.string().optional(), code: z.number().optional() }) });

export class MetaGraphError extends Error {
  readonly status: number;
  readonly code: number | undefined;

  constructor(status: number, code: number | undefined, message: string) {
    super(message);
    this.name = 'MetaGraphError';
    this.status = status;
    this.code = code;
  }

  /** Bad token or missing permission: asking again will not help until someone fixes the configuration. */
  get permanent(): boolean {
    return this.status === 401 || this.status === 403 || this.code === 190 || this.code === 100;
  }
}

const MAX_PAGES = 20;
const FIELDS = 'display_phone_number,quality_rating,whatsapp_business_manager_messaging_limit,status';

export class MetaGraph {
  readonly #options: MetaGraphOptions;

  constructor(options: MetaGraphOptions) {
    this.#options = options;
  }

  /** Every business number of a WABA with its quality, the portfolio limit and status. */
  async phoneNumbers(wabaId: string): Promise<GraphPhoneNumber[]> {
    const numbers: GraphPhoneNumber[] = [];
    let url: string | undefined = `${this.#options.baseUrl.replace(/\/$/, '')}/${encodeURIComponent(wabaId)}/phone_numbers?fields=${FIELDS}`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${this.#options.accessToken}` },
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
      const body: unknown = await response.json().catch(() => undefined);
      if (!response.ok) {
        const error = graphErrorBody.safeParse(body);
        throw new MetaGraphError(response.status, error.data?.error.code, `Graph API ${response.status} for WABA ${wabaId}: ${error.data?.error.message ?? 'no error body'}`);
      }
      const parsed = phoneNumbersPage.parse(body);
      numbers.push(...parsed.data);
      // The token goes only where it was configured to go, whatever a page links to.
      url = parsed.paging?.next && new URL(parsed.paging.next).origin === new URL(this.#options.baseUrl).origin ? parsed.paging.next : undefined;
    }
    return numbers;
  }
}

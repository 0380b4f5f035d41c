// Activities are built by a factory over injected dependencies, so tests pass
// fakes or test databases and production wires the real ones. Every external
// effect is keyed by a business id, never by Temporal's run or attempt.
import type { Db } from '../db/database.ts';
import type { SecretBox } from '../db/secret-box.ts';

export interface ActivityDependencies {
  db: Db;
  secrets: SecretBox;
  /** Where and how patiently Vonage is called (vonage/messenger.ts). */
  vonage: { apiHost: string; timeoutMs: number };
}

// The product activities (Vonage sends, template manager calls, ledger writes)
// arrive with their issues; the factory shape is fixed here.
export function createActivities(_deps: ActivityDependencies) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;

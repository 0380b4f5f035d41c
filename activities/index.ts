// Activities are built by a factory over injected dependencies, so tests pass
// their own databases and simulator, and production wires the real ones. Every
// external effect is keyed by a business id, never by Temporal's run or attempt.
import type { Db } from '../db/database.ts';
import type { SecretBox } from '../db/secret-box.ts';
import { QuotaLedger } from '../db/quota.ts';
import { SendersRepository } from '../db/senders.ts';
import { TemplatesRepository } from '../db/templates.ts';
import { CampaignsRepository } from '../db/campaigns.ts';
import { ThroughputGate } from '../db/throughput.ts';
import { createCampaignActivities } from './campaigns.ts';
import { createMessageActivities } from './messages.ts';
import { createTemplateActivities, type TemplateActivityDependencies } from './templates.ts';
import { createWarmupActivities } from './warmup.ts';

export interface ActivityDependencies {
  db: Db;
  secrets: SecretBox;
  /** Where and how patiently Vonage is called (vonage/messenger.ts). */
  vonage: { apiHost: string; timeoutMs: number };
  /** Meta's Graph API for the warm-up's limit and quality polls; unset = Meta's webhooks only. */
  metaGraph?: { baseUrl: string; accessToken: string } | undefined;
  /** Test seams; never set in production. */
  testHooks?: Pick<TemplateActivityDependencies, 'afterProviderCreate'>;
}

export function createActivities(deps: ActivityDependencies) {
  const senders = new SendersRepository(deps.db, deps.secrets);
  const templates = new TemplatesRepository(deps.db);
  const quota = new QuotaLedger(deps.db);
  return {
    ...createTemplateActivities({ senders, templates, vonage: deps.vonage, ...deps.testHooks }),
    ...createMessageActivities({ senders, vonage: deps.vonage }),
    ...createWarmupActivities({ quota, senders, metaGraph: deps.metaGraph }),
    ...createCampaignActivities({ campaigns: new CampaignsRepository(deps.db), templates, senders, quota, throughput: new ThroughputGate(deps.db), vonage: deps.vonage }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

// Forward-only: migrations are never edited or reverted once merged; a change
// is a new file appended here. Listed explicitly (not read from disk) so the
// set is fixed at build time.
import type { Migration } from 'kysely/migration';
import * as senders from './0001_senders.ts';
import * as webhooks from './0002_webhooks.ts';
import * as templates from './0003_templates.ts';
import * as contacts from './0004_contacts.ts';
import * as inbound from './0005_inbound.ts';
import * as consentOnContacts from './0006_consent_on_contacts.ts';
import * as quota from './0007_quota.ts';
import * as campaigns from './0008_campaigns.ts';
import * as warmupCampaigns from './0009_warmup_campaigns.ts';
import * as quietHours from './0010_quiet_hours.ts';
import * as senderThroughput from './0011_sender_throughput.ts';
import * as portfolioQuality from './0012_portfolio_quality.ts';

export const migrations: Record<string, Migration> = {
  '0001_senders': senders,
  '0002_webhooks': webhooks,
  '0003_templates': templates,
  '0004_contacts': contacts,
  '0005_inbound': inbound,
  '0006_consent_on_contacts': consentOnContacts,
  '0007_quota': quota,
  '0008_campaigns': campaigns,
  '0009_warmup_campaigns': warmupCampaigns,
  '0010_quiet_hours': quietHours,
  '0011_sender_throughput': senderThroughput,
  '0012_portfolio_quality': portfolioQuality,
};

// Custom search attributes (DESIGN.md), defined once: workflows upsert them,
// the worker registers them on the namespace, operators filter by them in the
// Web UI. Values are ids and states only, never phone numbers or other PII:
// search attributes are not encrypted.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CampaignId = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
export const PortfolioId = defineSearchAttributeKey('PortfolioId', SearchAttributeType.KEYWORD);
export const SenderNumber = defineSearchAttributeKey('SenderNumber', SearchAttributeType.KEYWORD);
export const TemplateName = defineSearchAttributeKey('TemplateName', SearchAttributeType.KEYWORD);
export const EngineStatus = defineSearchAttributeKey('EngineStatus', SearchAttributeType.KEYWORD);

export const engineSearchAttributes = [CampaignId, PortfolioId, SenderNumber, TemplateName, EngineStatus];

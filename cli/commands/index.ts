// Every command of `wce`, in the order the help lists them.
import type { Command } from '../command.ts';
import { campaignCancel, campaignCreate, campaignPause, campaignResume, campaignStatus } from './campaign.ts';
import { contactsImport } from './contacts-import.ts';
import { doctor } from './doctor.ts';
import { warmupCancel, warmupPause, warmupResume, warmupStart, warmupStatus } from './warmup.ts';

export const commands: Command[] = [
  doctor,
  contactsImport,
  campaignCreate, campaignStatus, campaignPause, campaignResume, campaignCancel,
  warmupStart, warmupStatus, warmupPause, warmupResume, warmupCancel,
];

import { describe, expect, it } from 'vitest';
import { messageStatuses, statusRank, type MessageStatus } from '../../domain/message-status.ts';

// The rank is what the status upsert compares (db/webhook-events.ts): a status
// replaces the stored one only when its rank is higher.
const replaces = (next: MessageStatus, current: MessageStatus) => statusRank(next) > statusRank(current);

describe('status ranks', () => {
  it.each<[MessageStatus, MessageStatus, boolean]>([
    ['delivered', 'submitted', true],
    ['read', 'delivered', true],
    ['read', 'submitted', true],
    ['submitted', 'delivered', false],
    ['delivered', 'read', false],
    ['rejected', 'submitted', true],
    ['undeliverable', 'delivered', true],
    ['rejected', 'read', false],
    ['undeliverable', 'read', false],
    ['delivered', 'rejected', false],
    ['submitted', 'undeliverable', false],
    ['rejected', 'undeliverable', false],
    ['read', 'read', false],
  ])('%s over %s → %s', (next, current, expected) => {
    expect(replaces(next, current)).toBe(expected);
  });

  it('ranks every status', () => {
    for (const status of messageStatuses) expect(statusRank(status)).toBeGreaterThan(0);
  });
});

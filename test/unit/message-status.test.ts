import { describe, expect, it } from 'vitest';
import { supersedes, type MessageStatus } from '../../domain/message-status.ts';

describe('supersedes', () => {
  it.each<[MessageStatus, MessageStatus | undefined, boolean]>([
    ['submitted', undefined, true],
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
    expect(supersedes(next, current)).toBe(expected);
  });
});

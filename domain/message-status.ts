// Delivery statuses arrive by webhook in any order and may repeat. Each message
// keeps the furthest status it reached: submitted < delivered < failed < read.
// Failures (rejected, undeliverable) are terminal and win over submitted and
// delivered, never over read (a read message was, by definition, delivered).

export const messageStatuses = ['submitted', 'delivered', 'rejected', 'undeliverable', 'read'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

const rank: Record<MessageStatus, number> = { submitted: 1, delivered: 2, rejected: 3, undeliverable: 3, read: 4 };

export function statusRank(status: MessageStatus): number {
  return rank[status];
}

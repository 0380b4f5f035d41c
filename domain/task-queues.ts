// Every task queue the engine uses, named once. Workers poll these; the API
// and parent workflows start work on them.
export const taskQueues = {
  /** Orchestration: campaign, warm-up and template-approval workflows and their activities. */
  engine: 'whatsapp-engine',
} as const;

export type TaskQueue = (typeof taskQueues)[keyof typeof taskQueues];

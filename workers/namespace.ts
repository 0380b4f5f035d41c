// Idempotent namespace preparation: retention long enough to inspect finished
// campaigns in the Web UI, and the engine's custom search attributes. Run by
// `npm start` for the embedded server and by `npm run temporal:setup` against
// a self-hosted cluster (Temporal Cloud manages both through its own console).
import type { Connection } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { engineSearchAttributes } from '../workflows/search-attributes.ts';

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const DAY_MS = 24 * 60 * 60 * 1000;
export const defaultRetentionDays = 30;

const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexedValueType: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

function isNotFound(error: unknown): boolean {
  return isGrpcServiceError(error) && (error.code as number) === GRPC_NOT_FOUND;
}

/** Another process (a second worker starting at the same moment) got there first: that is success. */
async function tolerateAlreadyExists(operation: () => Promise<unknown>): Promise<void> {
  try {
    await operation();
  } catch (error) {
    if (!(isGrpcServiceError(error) && (error.code as number) === GRPC_ALREADY_EXISTS)) throw error;
  }
}

/** Creates the namespace, or raises its retention to at least `retentionDays`. */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays = defaultRetentionDays): Promise<void> {
  const wantedMs = retentionDays * DAY_MS;
  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    if (tsToMs(described.config?.workflowExecutionRetentionTtl) >= wantedMs) return;
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(wantedMs) },
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await tolerateAlreadyExists(() => connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(wantedMs),
    }));
  }
}

/** A namespace just registered is unknown to other services until their caches refresh (seconds). */
async function whileNamespaceNotYetKnown<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isNotFound(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Registers the missing custom search attributes; existing ones are left alone. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await whileNamespaceNotYetKnown(() => connection.operatorService.listSearchAttributes({ namespace }));
  const existing = customAttributes ?? {};
  const clashing = engineSearchAttributes.filter((key) => key.name in existing && existing[key.name] !== indexedValueType[key.type]);
  if (clashing.length > 0) {
    throw new Error(`Namespace ${namespace} already has search attributes ${clashing.map((k) => k.name).join(', ')} with another type; the engine needs ${clashing.map((k) => `${k.name}=${k.type}`).join(', ')}.`);
  }
  const missing = engineSearchAttributes.filter((key) => !(key.name in existing));
  if (missing.length === 0) return [];
  await whileNamespaceNotYetKnown(() => addSearchAttributes(connection, namespace, missing));
  return missing.map((key) => key.name);
}

/** Adds the attributes without listing first (the time-skipping test server cannot list them). */
export async function addSearchAttributes(connection: Connection, namespace: string, keys = engineSearchAttributes): Promise<void> {
  await tolerateAlreadyExists(() => connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(keys.map((key) => [key.name, indexedValueType[key.type]!])),
  }));
}

export async function prepareNamespace(connection: Connection, namespace: string): Promise<void> {
  await ensureNamespace(connection, namespace);
  await ensureSearchAttributes(connection, namespace);
}

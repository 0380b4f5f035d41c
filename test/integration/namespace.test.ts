import { Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { defaultRetentionDays, ensureSearchAttributes, prepareNamespace } from '../../workers/namespace.ts';
import { engineSearchAttributes } from '../../workflows/search-attributes.ts';

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
});

describe('prepareNamespace', () => {
  it('creates a namespace with ≥ 30 days retention and every engine search attribute, idempotently', async () => {
    const namespace = `ns-${randomUUID()}`;
    await prepareNamespace(connection, namespace);
    await prepareNamespace(connection, namespace); // a second start changes nothing and does not fail

    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(tsToMs(described.config?.workflowExecutionRetentionTtl)).toBe(defaultRetentionDays * 24 * 3600 * 1000);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of engineSearchAttributes) expect(Object.keys(customAttributes ?? {})).toContain(key.name);
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
  });

  it('raises the 1-day retention the dev server gives its default namespace', async () => {
    // test/global-setup.ts prepared "default" on the suite's dev server.
    const described = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(tsToMs(described.config?.workflowExecutionRetentionTtl)).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
  });
});

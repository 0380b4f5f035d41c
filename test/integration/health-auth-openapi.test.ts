import SwaggerParser from '@apidevtools/swagger-parser';
import { Client, Connection } from '@temporalio/client';
import type { OpenAPIV3_1 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.ts';
import { freePort } from '../../scripts/temporal-dev-server.ts';
import { startTestApi, useApiFixture } from '../helpers/api.ts';

const fixture = useApiFixture();

describe('GET /healthz', () => {
  it('answers 200 when the database and Temporal answer', async () => {
    const response = await fixture.api.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'up', checks: { database: { status: 'up' }, temporal: { status: 'up' } } });
  });

  it('answers 503 naming Temporal when it is unreachable', async () => {
    // A port nothing listens on: the real client, failing for real.
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const isolated = await startTestApi({ db: fixture.database.db, temporal: new Client({ connection }) });
    try {
      const response = await isolated.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'down', checks: { database: { status: 'up' }, temporal: { status: 'down', error: 'unreachable' } } });
    } finally {
      await isolated.app.close();
      await connection.close();
    }
  });

  it('answers 503 naming the database when it is unreachable', async () => {
    // A Postgres URL whose port nothing listens on: the real driver, failing for real.
    const unreachable = openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${await freePort()}/test` });
    const isolated = await startTestApi({ db: unreachable, temporal: fixture.temporal.client });
    try {
      const response = await isolated.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(503);
      // The public answer names the failed part but not its host or user; the log has the detail.
      expect(response.json()).toEqual({ status: 'down', checks: { database: { status: 'down', error: 'unreachable' }, temporal: { status: 'up' } } });
      expect(isolated.logs()).toMatch(/health check failed.*|"check":"database"/);
    } finally {
      await isolated.app.close();
      await unreachable.destroy();
    }
  });
});

describe('bearer-token auth on /v1', () => {
  it.each([
    ['no Authorization header', undefined, /Bearer/],
    ['a wrong token', 'Bearer not-the-token', /not valid/],
    ['another scheme', 'Basic dXNlcjpwYXNz', /not valid/],
  ])('answers 401 problem+json for %s', async (_name, authorization, detail) => {
    const response = await fixture.api.app.inject({ method: 'GET', url: '/v1/senders', headers: authorization ? { authorization } : {} });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.json()).toMatchObject({ status: 401, type: '/problems/unauthorized', detail: expect.stringMatching(detail) });
  });

  it('lets the right token through, and never asks one for health or docs', async () => {
    expect((await fixture.api.request({ method: 'GET', url: '/v1/senders' })).statusCode).toBe(200);
    expect((await fixture.api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await fixture.api.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    expect((await fixture.api.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('keeps the caller\'s request id, or makes one, and echoes it', async () => {
    const given = await fixture.api.app.inject({ method: 'GET', url: '/v1/senders', headers: { 'x-request-id': 'req-from-caller' } });
    expect(given.headers['x-request-id']).toBe('req-from-caller');
    expect(given.json().requestId).toBe('req-from-caller');
    const made = await fixture.api.app.inject({ method: 'GET', url: '/healthz' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await fixture.api.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': `${'x'.repeat(5000)}<script>` } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const response = await fixture.api.request({ method: 'GET', url: '/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, type: '/problems/not-found' });
  });
});

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document describing the senders API and its auth', async () => {
    const document = (await fixture.api.app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenAPIV3_1.Document>();
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths ?? {})).toEqual(expect.arrayContaining(['/healthz', '/v1/senders', '/v1/senders/{senderId}']));
    expect(Object.keys(document.paths?.['/v1/senders/{senderId}'] ?? {})).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(expect.arrayContaining(['Sender', 'CreateSender', 'UpdateSender', 'Problem']));
    const senderProperties = Object.keys((document.components?.schemas?.Sender as OpenAPIV3_1.SchemaObject).properties ?? {});
    expect(senderProperties).toContain('secrets');
    for (const secret of ['apiSecret', 'privateKey', 'signatureSecret']) expect(senderProperties).not.toContain(secret);
  });
});

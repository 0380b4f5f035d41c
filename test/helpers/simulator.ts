// A Vonage simulator per test file, on a free port, with fast webhooks, and
// one account per auth mode whose credentials the tests hold.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { SimAccount } from '../../vonage/simulator/accounts.ts';
import { VonageSimulator, type SimulatorOptions } from '../../vonage/simulator/server.ts';

export interface TestAccount extends SimAccount {
  apiSecret: string;
  applicationId: string;
  privateKey: string;
  signatureSecret: string;
}

export function makeTestAccount(overrides: Partial<TestAccount> = {}): TestAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    apiKey: randomBytes(4).toString('hex'),
    apiSecret: randomBytes(8).toString('hex'),
    applicationId: crypto.randomUUID(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signatureSecret: randomBytes(16).toString('hex'),
    ...overrides,
  };
}

export interface SimulatorFixture {
  simulator: VonageSimulator;
  url: string;
}

/** beforeAll/afterAll for a simulator; retries and status delays short enough for tests. */
export function useSimulator(options: SimulatorOptions = {}): SimulatorFixture {
  const fixture = {} as SimulatorFixture;
  beforeAll(async () => {
    fixture.simulator = new VonageSimulator({
      statusDelaysMs: { submitted: 10, delivered: 30, read: 60 },
      webhookRetry: { initialDelayMs: 20, maxDelayMs: 200, maxAttempts: 5 },
      templateDecision: { outcome: 'APPROVED', delayMs: 50 },
      ...options,
    });
    fixture.url = await fixture.simulator.listen();
  });
  afterAll(async () => {
    await fixture.simulator?.close();
  });
  return fixture;
}

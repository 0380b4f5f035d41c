import { describe, expect, it } from 'vitest';
import { senderSettingsProblems, type SenderSettings } from '../../domain/sender.ts';

const none: SenderSettings = { apiKey: null, hasApiSecret: false, applicationId: null, hasPrivateKey: false, autoReplyEnabled: false, autoReplyText: null };

describe('senderSettingsProblems', () => {
  it.each<[string, Partial<SenderSettings>, string[]]>([
    ['basic auth pair', { apiKey: 'k', hasApiSecret: true }, []],
    ['jwt pair', { applicationId: 'a', hasPrivateKey: true }, []],
    ['both pairs', { apiKey: 'k', hasApiSecret: true, applicationId: 'a', hasPrivateKey: true }, []],
    ['no credentials', {}, ['apiKey', 'applicationId']],
    ['api key without secret', { apiKey: 'k' }, ['apiSecret']],
    ['secret without api key', { hasApiSecret: true }, ['apiKey']],
    ['application id without key', { applicationId: 'a' }, ['privateKey']],
    ['private key without application id', { hasPrivateKey: true }, ['applicationId']],
    ['auto-reply without text', { apiKey: 'k', hasApiSecret: true, autoReplyEnabled: true }, ['autoReplyText']],
    ['auto-reply with text', { apiKey: 'k', hasApiSecret: true, autoReplyEnabled: true, autoReplyText: 'Hi' }, []],
  ])('%s', (_name, settings, fields) => {
    expect(senderSettingsProblems({ ...none, ...settings }).map((p) => p.field)).toEqual(fields);
  });
});

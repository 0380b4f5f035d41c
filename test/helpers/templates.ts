// A sender that can manage templates (JWT credentials and a WABA), known to the
// simulator, and template rows to submit.
import { randomBytes, randomUUID } from 'node:crypto';
import type { CreateTemplate } from '../../domain/template.ts';
import type { Db } from '../../db/database.ts';
import { SecretBox } from '../../db/secret-box.ts';
import { SendersRepository } from '../../db/senders.ts';
import { TemplatesRepository } from '../../db/templates.ts';
import type { VonageSimulator } from '../../vonage/simulator/server.ts';
import { makeTestAccount } from './simulator.ts';

export interface TemplateWorld {
  db: Db;
  secrets: SecretBox;
  senderId: string;
  wabaId: string;
  templates: TemplatesRepository;
  newTemplate(overrides?: Partial<CreateTemplate>): Promise<{ templateId: string; name: string }>;
}

export async function seedTemplateWorld(db: Db, simulator: VonageSimulator, secrets = new SecretBox(randomBytes(32))): Promise<TemplateWorld> {
  const wabaId = String(100_000_000 + Math.floor(Math.random() * 899_999_999));
  const account = makeTestAccount({ wabaIds: [wabaId] });
  simulator.accounts.register(account);
  const sender = await new SendersRepository(db, secrets).create({
    nickname: 'Templates',
    whatsappNumber: `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`,
    applicationId: account.applicationId,
    privateKey: account.privateKey,
    wabaId,
    autoReplyEnabled: false,
  });
  const templates = new TemplatesRepository(db);
  return {
    db,
    secrets,
    senderId: sender.senderId,
    wabaId,
    templates,
    async newTemplate(overrides = {}) {
      const name = `tpl_${randomUUID().slice(0, 8)}`;
      const template = await templates.create({
        senderId: sender.senderId,
        name,
        language: 'en_US',
        category: 'UTILITY',
        body: { text: 'Hi {{1}}, your order has shipped.', examples: ['Ana'] },
        ...overrides,
      });
      return { templateId: template.templateId, name: template.name };
    },
  };
}

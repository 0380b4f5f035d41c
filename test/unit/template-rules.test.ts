import { describe, expect, it } from 'vitest';
import { templateProblems, toProviderComponents, type CreateTemplate } from '../../domain/template.ts';
import { templateRuleCases, validTemplate } from '../fixtures/template-cases.ts';

const valid: CreateTemplate = { ...validTemplate, senderId: '6f1c8f8e-3a52-4d55-9a4c-7f0d8f5b1c2a' };

const withChanges = (changes: Partial<CreateTemplate>): CreateTemplate => ({ ...valid, ...changes });
const fieldsOf = (template: CreateTemplate) => templateProblems(template).map((p) => p.field);

describe('template rules', () => {
  it('accepts a well-formed template', () => {
    expect(templateProblems(valid)).toEqual([]);
  });

  // Each rule: a template that breaks it (and names the field), and one that keeps it.
  it.each(templateRuleCases)('%s', (_rule, breaking, fields, keeping) => {
    expect(fieldsOf(withChanges(breaking)).sort()).toEqual([...fields].sort());
    expect(templateProblems(withChanges(keeping))).toEqual([]);
  });

  it('names every violated field at once', () => {
    expect(fieldsOf(withChanges({ name: 'Bad Name', language: 'xx-yy', footer: '' })).sort()).toEqual(['footer', 'language', 'name']);
  });
});

describe('toProviderComponents', () => {
  it('builds Meta components with examples, positional', () => {
    expect(toProviderComponents(withChanges({
      header: { type: 'image', exampleUrl: 'https://cdn.example.com/h.png' },
      footer: 'Reply STOP to opt out',
      buttons: [{ type: 'quick_reply', text: 'Stop' }, { type: 'url', text: 'Track', url: 'https://e.com/{{1}}', example: 'abc' }],
    }))).toEqual({
      parameterFormat: 'POSITIONAL',
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/h.png'] } },
        { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.', example: { body_text: [['Ana', '#1234']] } },
        { type: 'FOOTER', text: 'Reply STOP to opt out' },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }, { type: 'URL', text: 'Track', url: 'https://e.com/{{1}}', example: ['abc'] }] },
      ],
    });
  });

  it('builds named parameters with their examples', () => {
    const { parameterFormat, components } = toProviderComponents(withChanges({ body: { text: 'Hi {{first_name}}, see you.', examples: { first_name: 'Ana' } } }));
    expect(parameterFormat).toBe('NAMED');
    expect(components).toEqual([{ type: 'BODY', text: 'Hi {{first_name}}, see you.', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] } }]);
  });
});

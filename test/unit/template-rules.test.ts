import { describe, expect, it } from 'vitest';
import { templateProblems, toProviderComponents, type CreateTemplate } from '../../domain/template.ts';

const valid: CreateTemplate = {
  senderId: '6f1c8f8e-3a52-4d55-9a4c-7f0d8f5b1c2a',
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  body: { text: 'Hi {{1}}, your order {{2}} has shipped.', examples: ['Ana', '#1234'] },
};

const withChanges = (changes: Partial<CreateTemplate>): CreateTemplate => ({ ...valid, ...changes });
const fieldsOf = (template: CreateTemplate) => templateProblems(template).map((p) => p.field);

describe('template rules', () => {
  it('accepts a well-formed template', () => {
    expect(templateProblems(valid)).toEqual([]);
  });

  // Each rule: a template that breaks it (and names the field), and one that keeps it.
  it.each<[string, Partial<CreateTemplate>, string[], Partial<CreateTemplate>]>([
    ['name: lowercase, digits, underscore', { name: 'Order-Update' }, ['name'], { name: 'order_update_2' }],
    ['name: at most 512', { name: 'a'.repeat(513) }, ['name'], { name: 'a'.repeat(512) }],
    ['name: not empty', { name: '' }, ['name'], { name: 'x' }],
    ['language: a Meta locale', { language: 'english' }, ['language'], { language: 'pt_BR' }],
    ['body: not empty', { body: { text: '   ' } }, ['body.text'], { body: { text: 'Hello there' } }],
    ['body: at most 1024', { body: { text: 'a'.repeat(1025) } }, ['body.text'], { body: { text: 'a'.repeat(1024) } }],
    ['body: no adjacent parameters', { body: { text: 'Hi {{1}} {{2}} there', examples: ['a', 'b'] } }, ['body.text'], { body: { text: 'Hi {{1}} and {{2}} there', examples: ['a', 'b'] } }],
    ['body: no parameter at the start', { body: { text: '{{1}}, your order shipped', examples: ['Ana'] } }, ['body.text'], { body: { text: 'Dear {{1}}, your order shipped', examples: ['Ana'] } }],
    ['body: no parameter at the end', { body: { text: 'Your code is {{1}}', examples: ['123'] } }, ['body.text'], { body: { text: 'Your code is {{1}}.', examples: ['123'] } }],
    ['body: positional without gaps', { body: { text: 'Hi {{1}}, order {{3}} shipped.', examples: ['a', 'b'] } }, ['body.text'], { body: { text: 'Hi {{1}}, order {{2}} shipped.', examples: ['a', 'b'] } }],
    ['body: positional from 1', { body: { text: 'Hi {{2}} there.', examples: ['a'] } }, ['body.text'], { body: { text: 'Hi {{1}} there.', examples: ['a'] } }],
    ['body: not mixing positional and named', { body: { text: 'Hi {{1}} and {{name}} there.', examples: ['a', 'b'] } }, ['body.text'], { body: { text: 'Hi {{first}} and {{name}} there.', examples: { first: 'a', name: 'b' } } }],
    ['body: well-formed placeholders', { body: { text: 'Hi {{ 1 }} there.', examples: ['a'] } }, ['body.text'], { body: { text: 'Hi {{1}} there.', examples: ['a'] } }],
    ['body: balanced braces', { body: { text: 'Hi {{1} there.', examples: [] } }, ['body.text'], { body: { text: 'Hi {1} there.' } }],
    ['examples: one per positional parameter', { body: { text: 'Hi {{1}}, order {{2}} shipped.', examples: ['a'] } }, ['body.examples'], { body: { text: 'Hi {{1}}, order {{2}} shipped.', examples: ['a', 'b'] } }],
    ['examples: required for parameters', { body: { text: 'Hi {{1}} there.' } }, ['body.examples'], { body: { text: 'Hi {{1}} there.', examples: ['Ana'] } }],
    ['examples: not empty', { body: { text: 'Hi {{1}} there.', examples: [''] } }, ['body.examples.0'], { body: { text: 'Hi {{1}} there.', examples: ['x'] } }],
    ['examples: each named parameter', { body: { text: 'Hi {{first_name}} there.', examples: { other: 'x' } } }, ['body.examples.first_name', 'body.examples.other'], { body: { text: 'Hi {{first_name}} there.', examples: { first_name: 'Ana' } } }],
    ['examples: none without parameters', { body: { text: 'Hello there.', examples: ['x'] } }, ['body.examples'], { body: { text: 'Hello there.' } }],
    ['header text: at most 60', { header: { type: 'text', text: 'a'.repeat(61) } }, ['header.text'], { header: { type: 'text', text: 'a'.repeat(60) } }],
    ['header text: at most one parameter', { header: { type: 'text', text: 'Hi {{1}} {{2}}', example: 'x' } }, ['header.text'], { header: { type: 'text', text: 'Hi {{1}}!', example: 'x' } }],
    ['header text: example for its parameter', { header: { type: 'text', text: 'Hi {{1}}!' } }, ['header.example'], { header: { type: 'text', text: 'Hi {{1}}!', example: 'Ana' } }],
    ['footer: at most 60', { footer: 'a'.repeat(61) }, ['footer'], { footer: 'a'.repeat(60) }],
    ['footer: no parameters', { footer: 'Bye {{1}}' }, ['footer'], { footer: 'Reply STOP to opt out' }],
    ['buttons: text at most 25', { buttons: [{ type: 'quick_reply', text: 'a'.repeat(26) }] }, ['buttons.0.text'], { buttons: [{ type: 'quick_reply', text: 'Stop promotions' }] }],
    ['buttons: at most 10', { buttons: Array.from({ length: 11 }, () => ({ type: 'quick_reply' as const, text: 'x' })) }, ['buttons'], { buttons: Array.from({ length: 10 }, () => ({ type: 'quick_reply' as const, text: 'x' })) }],
    ['buttons: https URL', { buttons: [{ type: 'url', text: 'Track', url: 'http://example.com/t' }] }, ['buttons.0.url'], { buttons: [{ type: 'url', text: 'Track', url: 'https://example.com/t' }] }],
    ['buttons: URL parameter only at the end', { buttons: [{ type: 'url', text: 'Track', url: 'https://example.com/{{1}}/x', example: 'a' }] }, ['buttons.0.url'], { buttons: [{ type: 'url', text: 'Track', url: 'https://example.com/x/{{1}}', example: 'a' }] }],
    ['buttons: URL parameter example', { buttons: [{ type: 'url', text: 'Track', url: 'https://example.com/{{1}}' }] }, ['buttons.0.example'], { buttons: [{ type: 'url', text: 'Track', url: 'https://example.com/{{1}}', example: 'abc' }] }],
    ['buttons: at most 2 URL buttons', { buttons: [1, 2, 3].map((i) => ({ type: 'url' as const, text: `L${i}`, url: 'https://example.com' })) }, ['buttons'], { buttons: [1, 2].map((i) => ({ type: 'url' as const, text: `L${i}`, url: 'https://example.com' })) }],
    ['buttons: E.164 phone number', { buttons: [{ type: 'phone_number', text: 'Call', phoneNumber: '0207 946 0958' }] }, ['buttons.0.phoneNumber'], { buttons: [{ type: 'phone_number', text: 'Call', phoneNumber: '+442079460958' }] }],
    ['buttons: at most 1 phone button', { buttons: [{ type: 'phone_number', text: 'A', phoneNumber: '+442079460958' }, { type: 'phone_number', text: 'B', phoneNumber: '+442079460959' }] }, ['buttons'], { buttons: [{ type: 'phone_number', text: 'A', phoneNumber: '+442079460958' }] }],
    ['buttons: grouped by kind', { buttons: [{ type: 'quick_reply', text: 'A' }, { type: 'url', text: 'B', url: 'https://e.com' }, { type: 'quick_reply', text: 'C' }] }, ['buttons'], { buttons: [{ type: 'quick_reply', text: 'A' }, { type: 'quick_reply', text: 'C' }, { type: 'url', text: 'B', url: 'https://e.com' }] }],
  ])('%s', (_rule, breaking, fields, keeping) => {
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

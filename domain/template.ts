// WhatsApp message templates: the API's shape, Meta's structural rules (checked
// before anything is submitted, so a template Meta would bounce for its form
// is refused here with every offending field named), and the translation into
// the components Meta's template manager expects.
import { z } from 'zod';
import type { FieldError } from './problems.ts';

export const templateCategories = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;

/**
 * Engine-side template statuses: DRAFT before submission, TIMED_OUT when Meta
 * never answered; the rest are Meta's own.
 */
export const templateStatuses = ['DRAFT', 'SUBMITTING', 'PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'TIMED_OUT', 'IN_APPEAL', 'FLAGGED', 'DELETED'] as const;
export type TemplateStatus = (typeof templateStatuses)[number];

/** The only status in which Meta lets a template be sent. */
export const isSendable = (status: TemplateStatus): boolean => status === 'APPROVED';
/** States after which the template can never be sent again without a new submission. */
export const isFinal = (status: TemplateStatus): boolean => ['REJECTED', 'DISABLED', 'TIMED_OUT', 'DELETED'].includes(status);

export const limits = {
  name: 512,
  body: 1024,
  headerText: 60,
  footer: 60,
  buttonText: 25,
  buttons: 10,
  urlButtons: 2,
  phoneButtons: 1,
  example: 200,
} as const;

const headerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string(), example: z.string().optional() }).strict(),
  z.object({ type: z.enum(['image', 'video', 'document']), exampleUrl: z.url().describe('A sample of the media, for Meta\'s reviewers.') }).strict(),
  z.object({ type: z.literal('location') }).strict(),
]);

const buttonSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('quick_reply'), text: z.string() }).strict(),
  z.object({ type: z.literal('url'), text: z.string(), url: z.string(), example: z.string().optional().describe('Value for a {{1}} at the end of the URL.') }).strict(),
  z.object({ type: z.literal('phone_number'), text: z.string(), phoneNumber: z.string() }).strict(),
]);

export const createTemplateSchema = z.object({
  senderId: z.uuid().describe('The sender (its WABA) the template belongs to.'),
  name: z.string().describe('Lowercase letters, digits and underscores; at most 512.'),
  namespace: z.string().max(100).optional().describe('Legacy WABA namespace (CleverTap/Nexmo); shown, never required.'),
  language: z.string().describe('Meta locale, e.g. en, en_US, pt_BR.'),
  category: z.enum(templateCategories),
  body: z.object({
    text: z.string().describe('With {{1}}, {{2}}… or {{first_name}}-style parameters, not both.'),
    examples: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional()
      .describe('Positional: one example per parameter, in order. Named: an example per parameter name.'),
  }).strict(),
  header: headerSchema.optional(),
  footer: z.string().optional(),
  buttons: z.array(buttonSchema).optional(),
}).strict().meta({ id: 'CreateTemplate' });

export type CreateTemplate = z.infer<typeof createTemplateSchema>;
/** What a template says, as stored: everything but its identity. */
export type TemplateContent = Pick<CreateTemplate, 'body' | 'header' | 'footer' | 'buttons'>;

export const templateSchema = z.object({
  templateId: z.uuid(),
  senderId: z.uuid(),
  name: z.string(),
  namespace: z.string().nullable(),
  language: z.string(),
  category: z.enum(templateCategories),
  body: createTemplateSchema.shape.body,
  header: z.record(z.string(), z.unknown()).nullable(),
  footer: z.string().nullable(),
  buttons: z.array(z.record(z.string(), z.unknown())),
  status: z.enum(templateStatuses),
  statusReason: z.string().nullable().describe('Meta\'s reason for a rejection, pause or disablement.'),
  providerTemplateId: z.string().nullable().describe('Meta\'s id once submitted.'),
  workflowId: z.string().describe('The templateApproval workflow in the Temporal Web UI.'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  statusUpdatedAt: z.iso.datetime().nullable(),
}).meta({ id: 'Template' });

export type Template = z.infer<typeof templateSchema>;

export const templateWorkflowId = (templateId: string): string => `template/${templateId}`;
export type TemplateHeaderSpec = z.infer<typeof headerSchema>;
export type TemplateButtonSpec = z.infer<typeof buttonSchema>;

const placeholder = /\{\{([^{}]*)\}\}/g;

interface Placeholders {
  names: string[];
  problems: string[];
}

/** The parameters in a text, and what is malformed about them. */
export function placeholdersIn(text: string): Placeholders {
  const names: string[] = [];
  const problems: string[] = [];
  for (const match of text.matchAll(placeholder)) {
    const name = match[1] ?? '';
    if (!/^(\d+|[a-z][a-z0-9_]*)$/.test(name)) problems.push(`{{${name}}} is not a valid parameter: use {{1}} or {{lowercase_name}}`);
    else names.push(name);
  }
  const stray = text.replace(placeholder, '');
  if (stray.includes('{{') || stray.includes('}}')) problems.push('has unbalanced {{ or }}');
  return { names, problems };
}

/** Meta's rules for a parameterised text: positional numbered 1..n, not mixed with named, not adjacent, not at either end. */
function parameterProblems(text: string, field: string): { errors: FieldError[]; parameters: string[]; positional: boolean } {
  const errors: FieldError[] = [];
  const { names, problems } = placeholdersIn(text);
  for (const problem of problems) errors.push({ field, message: problem });
  const distinct = [...new Set(names)];
  const numbered = distinct.filter((name) => /^\d+$/.test(name));
  const positional = numbered.length > 0;
  if (numbered.length > 0 && numbered.length < distinct.length) errors.push({ field, message: 'mixes positional {{1}} and named {{name}} parameters' });
  if (positional) {
    const sorted = numbered.map(Number).sort((a, b) => a - b);
    if (sorted.some((n, i) => n !== i + 1)) errors.push({ field, message: `positional parameters must be numbered 1 to ${sorted.length} without gaps (found ${sorted.join(', ')})` });
  }
  if (/\}\}\s*\{\{/.test(text)) errors.push({ field, message: 'has two parameters next to each other; put words between them' });
  const trimmed = text.trim();
  if (trimmed.startsWith('{{')) errors.push({ field, message: 'starts with a parameter' });
  if (trimmed.endsWith('}}')) errors.push({ field, message: 'ends with a parameter' });
  const ordered = positional ? numbered.map(Number).sort((a, b) => a - b).map(String) : distinct;
  return { errors, parameters: ordered, positional };
}

/** A valid template body's parameters in the order values are sent: 1, 2, … or the names as they first appear. */
export function bodyParameterNames(text: string): string[] {
  return parameterProblems(text, 'body.text').parameters;
}

function lengthProblem(value: string, max: number, field: string): FieldError[] {
  if (value.trim().length === 0) return [{ field, message: 'must not be empty' }];
  return value.length > max ? [{ field, message: `must be at most ${max} characters (is ${value.length})` }] : [];
}

function exampleProblems(parameters: string[], positional: boolean, examples: CreateTemplate['body']['examples'], field: string): FieldError[] {
  if (parameters.length === 0) {
    const given = Array.isArray(examples) ? examples.length : Object.keys(examples ?? {}).length;
    return given > 0 ? [{ field, message: 'gives examples but the text has no parameters' }] : [];
  }
  if (positional) {
    if (!Array.isArray(examples)) return [{ field, message: `needs a list of ${parameters.length} example value(s), one per parameter in order` }];
    const errors: FieldError[] = [];
    if (examples.length !== parameters.length) errors.push({ field, message: `needs exactly ${parameters.length} example value(s) (got ${examples.length})` });
    examples.forEach((value, i) => errors.push(...lengthProblem(value, limits.example, `${field}.${i}`)));
    return errors;
  }
  if (Array.isArray(examples) || !examples) return [{ field, message: `needs an example for each named parameter: ${parameters.join(', ')}` }];
  const errors: FieldError[] = [];
  for (const name of parameters) {
    if (examples[name] === undefined) errors.push({ field: `${field}.${name}`, message: 'is missing: every parameter needs an example' });
    else errors.push(...lengthProblem(examples[name], limits.example, `${field}.${name}`));
  }
  for (const name of Object.keys(examples)) if (!parameters.includes(name)) errors.push({ field: `${field}.${name}`, message: 'is not a parameter of the text' });
  return errors;
}

function headerProblems(header: TemplateHeaderSpec): FieldError[] {
  if (header.type !== 'text') return [];
  const errors = lengthProblem(header.text, limits.headerText, 'header.text');
  const { names, problems } = placeholdersIn(header.text);
  for (const problem of problems) errors.push({ field: 'header.text', message: problem });
  if (names.length > 1) errors.push({ field: 'header.text', message: 'may have at most one parameter' });
  if (names.length === 1 && names[0] !== '1' && !/^[a-z]/.test(names[0]!)) errors.push({ field: 'header.text', message: 'its parameter must be {{1}} or named' });
  if (names.length === 1 && !header.example) errors.push({ field: 'header.example', message: 'is required when the header has a parameter' });
  if (names.length === 0 && header.example) errors.push({ field: 'header.example', message: 'is given but the header has no parameter' });
  return errors;
}

function buttonProblems(buttons: TemplateButtonSpec[]): FieldError[] {
  const errors: FieldError[] = [];
  if (buttons.length > limits.buttons) errors.push({ field: 'buttons', message: `at most ${limits.buttons} buttons` });
  if (buttons.filter((b) => b.type === 'url').length > limits.urlButtons) errors.push({ field: 'buttons', message: `at most ${limits.urlButtons} URL buttons` });
  if (buttons.filter((b) => b.type === 'phone_number').length > limits.phoneButtons) errors.push({ field: 'buttons', message: `at most ${limits.phoneButtons} phone number button` });
  buttons.forEach((button, i) => {
    const field = `buttons.${i}`;
    errors.push(...lengthProblem(button.text, limits.buttonText, `${field}.text`));
    if (button.type === 'url') {
      const { names } = placeholdersIn(button.url);
      let valid = false;
      try {
        valid = new URL(button.url.replace(placeholder, 'x')).protocol === 'https:';
      } catch {
        valid = false;
      }
      if (!valid) errors.push({ field: `${field}.url`, message: 'must be an https URL' });
      if (names.length > 1 || (names.length === 1 && !button.url.endsWith('{{1}}'))) errors.push({ field: `${field}.url`, message: 'may only end with a single {{1}} parameter' });
      if (names.length === 1 && !button.example) errors.push({ field: `${field}.example`, message: 'is required when the URL has a parameter' });
    }
    if (button.type === 'phone_number' && !/^\+[1-9]\d{6,14}$/.test(button.phoneNumber)) {
      errors.push({ field: `${field}.phoneNumber`, message: 'must be in E.164, e.g. +14155550101' });
    }
  });
  // Meta groups buttons: all quick replies together, all calls to action together.
  const kinds = buttons.map((b) => (b.type === 'quick_reply' ? 'q' : 'c')).join('');
  if (/q+c+q|c+q+c/.test(kinds)) errors.push({ field: 'buttons', message: 'quick-reply buttons and URL/phone buttons must each be grouped together' });
  return errors;
}

/** Every structural rule Meta applies to a template's form. Empty = nothing Meta would reject for form. */
export function templateProblems(template: CreateTemplate): FieldError[] {
  const errors: FieldError[] = [];
  if (template.name.length === 0 || template.name.length > limits.name) errors.push({ field: 'name', message: `must be 1 to ${limits.name} characters` });
  else if (!/^[a-z0-9_]+$/.test(template.name)) errors.push({ field: 'name', message: 'may contain only lowercase letters, digits and underscores' });
  if (!/^[a-z]{2,3}(_[A-Z]{2,4})?$/.test(template.language)) errors.push({ field: 'language', message: 'must be a Meta locale such as en, en_US or pt_BR' });

  errors.push(...lengthProblem(template.body.text, limits.body, 'body.text'));
  const body = parameterProblems(template.body.text, 'body.text');
  errors.push(...body.errors);
  if (body.errors.length === 0) errors.push(...exampleProblems(body.parameters, body.positional, template.body.examples, 'body.examples'));

  if (template.header) errors.push(...headerProblems(template.header));
  if (template.footer !== undefined) {
    errors.push(...lengthProblem(template.footer, limits.footer, 'footer'));
    if (placeholdersIn(template.footer).names.length > 0) errors.push({ field: 'footer', message: 'may not contain parameters' });
  }
  if (template.buttons) errors.push(...buttonProblems(template.buttons));
  return errors;
}

/** The template as Meta's template manager takes it (components in Meta's casing). */
export function toProviderComponents(template: CreateTemplate, headerHandle?: string): { parameterFormat: 'POSITIONAL' | 'NAMED'; components: { type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS'; [key: string]: unknown }[] } {
  const { parameters, positional } = parameterProblems(template.body.text, 'body.text');
  const components: { type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS'; [key: string]: unknown }[] = [];
  const header = template.header;
  if (header?.type === 'text') components.push({ type: 'HEADER', format: 'TEXT', text: header.text, ...(header.example ? { example: { header_text: [header.example] } } : {}) });
  else if (header?.type === 'location') components.push({ type: 'HEADER', format: 'LOCATION' });
  else if (header) components.push({ type: 'HEADER', format: header.type.toUpperCase(), example: { header_handle: [headerHandle ?? header.exampleUrl] } });

  const examples = template.body.examples;
  const bodyExample = parameters.length === 0 ? {}
    : positional ? { example: { body_text: [examples as string[]] } }
      : { example: { body_text_named_params: parameters.map((name) => ({ param_name: name, example: (examples as Record<string, string>)[name] })) } };
  components.push({ type: 'BODY', text: template.body.text, ...bodyExample });
  if (template.footer) components.push({ type: 'FOOTER', text: template.footer });
  if (template.buttons?.length) {
    components.push({
      type: 'BUTTONS',
      buttons: template.buttons.map((button) =>
        button.type === 'quick_reply' ? { type: 'QUICK_REPLY', text: button.text }
          : button.type === 'url' ? { type: 'URL', text: button.text, url: button.url, ...(button.example ? { example: [button.example] } : {}) }
            : { type: 'PHONE_NUMBER', text: button.text, phone_number: button.phoneNumber }),
    });
  }
  return { parameterFormat: positional || parameters.length === 0 ? 'POSITIONAL' : 'NAMED', components };
}

/** How patiently the approval workflow waits and watches (milliseconds, so workflow code can do arithmetic). */
export interface ApprovalTiming {
  /** Give up on a verdict this long after submission: TIMED_OUT. */
  approvalTimeoutMs: number;
  /** First poll of the template manager after submission; doubles up to pollMaxMs. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** Once approved, how often to poll for PAUSED/DISABLED in case no webhook says so. */
  lifecyclePollMs: number;
}

export const defaultApprovalTiming: ApprovalTiming = {
  approvalTimeoutMs: 7 * 24 * 3600_000,
  pollInitialMs: 60_000,
  pollMaxMs: 30 * 60_000,
  lifecyclePollMs: 30 * 60_000,
};

/** A template status as the template manager reports it, in our vocabulary. */
export function templateStatusFromProvider(status: string): TemplateStatus {
  switch (status) {
    case 'APPROVED':
    case 'REINSTATED':
    case 'UNPAUSE':
      return 'APPROVED';
    case 'PENDING':
    case 'REJECTED':
    case 'PAUSED':
    case 'DISABLED':
    case 'IN_APPEAL':
    case 'FLAGGED':
      return status;
    case 'DELETED':
    case 'PENDING_DELETION':
    case 'ARCHIVED':
      return 'DELETED';
    default:
      // LOCKED, LIMIT_EXCEEDED and anything newer: not sendable, not known to be final.
      return 'FLAGGED';
  }
}

/**
 * A Meta `message_template_status_update` event in our vocabulary. An unpause
 * arrives with other_info.title UNPAUSE; a reinstatement as event REINSTATED.
 */
export function templateStatusFromMetaEvent(event: string, otherInfoTitle?: string): TemplateStatus {
  return otherInfoTitle === 'UNPAUSE' ? 'APPROVED' : templateStatusFromProvider(event);
}

// What a command is: its words, its options (node:util parseArgs), its help
// text, and what it does with a parsed invocation. main.ts finds the command,
// parses its arguments with the global options added, and runs it.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { ApiClient } from './api-client.ts';
import type { CliConfig } from './config.ts';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  values: OptionValues;
  positionals: string[];
  json: boolean;
  config: CliConfig;
  /** The API client; built lazily so a usage error never needs a URL. */
  api: () => ApiClient;
}

export interface Command {
  /** The words that name it, e.g. ['campaign', 'create']. */
  words: string[];
  summary: string;
  /** After `wce <words>`, e.g. '<campaignId> [--json]'. */
  usage: string;
  options: ParseArgsOptionsConfig;
  /** [flag as shown, explanation] per option, for --help. */
  optionHelp: [string, string][];
  examples: string[];
  positionals: { min: number; max: number };
  /** Extra lines for --help (exit codes, formats). */
  notes?: string[];
  run(invocation: Invocation): Promise<number>;
}

/** A mistake in the command line itself (exit 2), explained. */
export class UsageError extends Error {}

export const globalOptions = {
  'api-url': { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export const globalOptionHelp: [string, string][] = [
  ['--api-url URL', 'the API (env WCE_API_URL, default http://127.0.0.1:3000)'],
  ['--token TOKEN', 'bearer token (env WCE_API_TOKEN, default: .data/api-token written by npm start)'],
  ['--json', 'print the API\'s JSON answer instead of a summary'],
  ['-h, --help', 'this help'],
];

export function parseCommandArgs(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...globalOptions, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error));
  }
  const values = parsed.values as OptionValues;
  if (values.help) return { values, positionals: parsed.positionals };
  const { min, max } = command.positionals;
  if (parsed.positionals.length < min) throw new UsageError(`missing argument: wce ${command.words.join(' ')} ${command.usage}`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  return { values, positionals: parsed.positionals };
}

const column = (rows: [string, string][]) => {
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
};

export function commandHelp(command: Command): string {
  return [
    `wce ${command.words.join(' ')} — ${command.summary}`,
    '',
    `Usage: wce ${command.words.join(' ')} ${command.usage}`.trimEnd(),
    ...(command.optionHelp.length > 0 ? ['', 'Options:', ...column(command.optionHelp)] : []),
    '',
    'Global options:',
    ...column(globalOptionHelp),
    ...(command.notes && command.notes.length > 0 ? ['', ...command.notes] : []),
    ...(command.examples.length > 0 ? ['', 'Examples:', ...command.examples.map((e) => `  ${e}`)] : []),
    '',
  ].join('\n');
}

/** Options read as typed values, with the usage errors a person can act on. */
export const read = {
  string(values: OptionValues, name: string): string | undefined {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  },
  required(values: OptionValues, name: string): string {
    const value = values[name];
    if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
    return value;
  },
  list(values: OptionValues, name: string): string[] {
    const value = values[name];
    return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  },
  integer(values: OptionValues, name: string, bounds: { min: number; max: number }): number | undefined {
    const value = values[name];
    if (value === undefined) return undefined;
    const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < bounds.min || number > bounds.max) throw new UsageError(`--${name} must be a whole number from ${bounds.min} to ${bounds.max}`);
    return number;
  },
};


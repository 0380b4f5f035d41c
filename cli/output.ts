// Printing: summaries and raw JSON on stdout, errors on stderr, in words a
// person can act on.
import { ApiProblem, ApiUnreachable } from './api-client.ts';
import { UsageError } from './command.ts';

export const out = (text = '') => process.stdout.write(`${text}\n`);
export const err = (text = '') => process.stderr.write(`${text}\n`);

export const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

const numberFormat = new Intl.NumberFormat('en-US');
export const count = (value: number) => numberFormat.format(value);

/** Label/value lines with the values aligned. */
export function fields(rows: [string, string][], indent = '  '): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join('\n');
}

/** How long ago or from now an ISO time is, roughly. */
export function relative(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude < 2) return 'just now';
  const span = magnitude < 90 ? `${magnitude} s` : magnitude < 5400 ? `${Math.round(magnitude / 60)} min` : magnitude < 172_800 ? `${Math.round(magnitude / 3600)} h` : `${Math.round(magnitude / 86_400)} days`;
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
}

/** Prints an error the way a person reads it; returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    err(`wce: ${error.message}`);
    err('Run with --help for usage.');
    return 2;
  }
  if (error instanceof ApiProblem) {
    err(`Error ${error.status} ${error.title}${error.detail && error.errors.length === 0 ? `: ${error.detail}` : ''}`);
    for (const field of error.errors) err(`  ${field.field}: ${field.message}`);
    if (error.status === 401) err('  The API refused the token: pass --token or set WCE_API_TOKEN to the API\'s API_TOKEN (npm start writes it to .data/api-token).');
    if (error.requestId) err(`  (request id ${error.requestId})`);
    return 1;
  }
  if (error instanceof ApiUnreachable) {
    err(`wce: the API did not answer (${error.message}).`);
    err('  Is it running (npm start, or npm run api)? Check --api-url / WCE_API_URL; `wce doctor` checks everything.');
    return 1;
  }
  err(`wce: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
}

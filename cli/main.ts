#!/usr/bin/env node
// `wce`: the WhatsApp campaign engine from a terminal. It talks only to the
// engine's HTTP API (WCE_API_URL, WCE_API_TOKEN), never to its database.
//
//   wce [--api-url URL] [--token TOKEN] <command> [arguments] [--json] [--help]
//
// Exit codes: 0 done; 1 the API refused or did not answer (or a check
// failed); 2 the command line itself is wrong.
import { ApiClient } from './api-client.ts';
import { commandHelp, globalOptionHelp, UsageError, parseCommandArgs, type Command } from './command.ts';
import { commands } from './commands/index.ts';
import { parseApiUrl, resolveConfig } from './config.ts';
import { out, reportError } from './output.ts';

function overview(group?: string): string {
  const listed = commands.filter((command) => group === undefined || command.words[0] === group);
  const width = Math.max(...listed.map((command) => command.words.join(' ').length));
  return [
    group ? `wce ${group}: ${listed.length} commands` : 'wce — the WhatsApp campaign engine from the command line (over its HTTP API)',
    '',
    `Usage: wce ${group ?? '<command>'} ${group ? '<action> ' : ''}[arguments] [options]`,
    '',
    'Commands:',
    ...listed.map((command) => `  ${command.words.join(' ').padEnd(width)}  ${command.summary}`),
    '',
    'Global options (anywhere on the line):',
    ...globalOptionHelp.map(([flag, text]) => `  ${flag.padEnd(14)}  ${text}`),
    '',
    `Run \`wce ${group ? `${group} <action>` : '<command>'} --help\` for a command's options and examples.`,
    'Exit codes: 0 done · 1 the API refused or did not answer, or a check failed · 2 the command line is wrong.',
    '',
  ].join('\n');
}

/** Options taking a value, whose value must not be read as a command word. */
const valueOptions = new Set(['--api-url', '--token']);

/**
 * The command words (at most two), wherever global options stand among them; every option is passed on,
 * in order, to the command's parser.
 */
function splitCommand(argv: string[]): { words: string[]; rest: string[] } {
  const options: string[] = [];
  const words: string[] = [];
  let i = 0;
  while (i < argv.length && words.length < 2) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      options.push(arg);
      if (valueOptions.has(arg) && i + 1 < argv.length) options.push(argv[++i]!);
    } else {
      words.push(arg);
    }
    i++;
  }
  return { words, rest: [...options, ...argv.slice(i)] };
}

function findCommand(words: string[]): { command: Command; extra: string[] } | undefined {
  for (const command of commands) {
    if (command.words.every((word, i) => words[i] === word)) return { command, extra: words.slice(command.words.length) };
  }
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const { words, rest } = splitCommand(argv);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (words.length === 0 || words[0] === 'help') {
    const group = words[1];
    if (group && commands.some((c) => c.words[0] === group)) out(overview(group));
    else out(overview());
    // The arguments are not echoed: one of them may be the token.
    if (words.length === 0 && !wantsHelp) return rest.length === 0 ? 0 : reportError(new UsageError('no command given'));
    return 0;
  }
  const found = findCommand(words);
  if (!found) {
    if (commands.some((c) => c.words[0] === words[0])) {
      if (words.length === 1 && wantsHelp) {
        out(overview(words[0]));
        return 0;
      }
      out(overview(words[0]));
      return reportError(new UsageError(words.length === 1 ? `${words[0]}: which action?` : /^[a-z][a-z-]{0,30}$/.test(words[1]!) ? `unknown action "${words[1]}" for ${words[0]}` : `unknown action for ${words[0]}`));
    }
    return reportError(new UsageError(/^[a-z][a-z-]{0,30}$/.test(words[0]!) ? `unknown command "${words[0]}"` : 'unknown command'));
  }
  const { command, extra } = found;
  try {
    const { values, positionals } = parseCommandArgs(command, [...extra, ...rest]);
    if (values.help) {
      out(commandHelp(command));
      return 0;
    }
    const config = resolveConfig({ apiUrl: values['api-url'] as string | undefined, token: values.token as string | undefined });
    let client: ApiClient | undefined;
    const api = () => {
      if (client) return client;
      const parsed = parseApiUrl(config.apiUrl);
      if (!parsed.ok) throw new UsageError(`the API URL ${parsed.reason} (--api-url or WCE_API_URL)`);
      client = new ApiClient(parsed.url, config.token);
      return client;
    };
    return await command.run({ values, positionals, json: values.json === true, config, api });
  } catch (error) {
    return reportError(error);
  }
}

process.exitCode = await main(process.argv.slice(2));

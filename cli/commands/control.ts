// The pause, resume and cancel commands every steerable resource has.
import type { Command } from '../command.ts';
import { out, printJson } from '../output.ts';

/**
 * `wce <resource> pause|resume|cancel <id>`: one POST to the resource's control route, the answer shown
 * as the resource's status would be (the API refuses what makes no sense now with a 409 and the reason).
 */
export function controlCommand<T>(resource: {
  word: string;
  idName: string;
  exampleId: string;
  path: (id: string) => string;
  summarise: (answer: T) => string;
}, control: 'pause' | 'resume' | 'cancel', summary: string): Command {
  return {
    words: [resource.word, control],
    summary,
    usage: `<${resource.idName}> [--json]`,
    options: {},
    optionHelp: [],
    notes: ['A refusal (already paused, not paused, already ended) is a 409 with the reason, exit code 1.'],
    examples: [`wce ${resource.word} ${control} ${resource.exampleId}`],
    positionals: { min: 1, max: 1 },
    async run({ positionals, json, api }) {
      const answer = await api().post<T>(`${resource.path(positionals[0]!)}/${control}`);
      if (json) printJson(answer);
      else out(resource.summarise(answer));
      return 0;
    },
  };
}

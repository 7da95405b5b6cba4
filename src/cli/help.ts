// One help style for every command. Commands declare what they are (a one-line summary, a
// longer description, arguments, options, 2–4 examples); this module decides how that reads:
// the same placeholder names everywhere, required options in their own group and in the usage
// line, defaults shown only when they tell the reader something, and the examples last.
import type { Argument, Command, Help, Option } from 'commander';
import { choicesOf } from './options.js';

/** One example of a command, as a consultant would type it, with the reason on the line above. */
export interface Example {
  /** Why you would run it, in a few words ("the risk report for the customer"). */
  what: string;
  /** The whole command line, starting with `exrelay`. */
  run: string;
}

/**
 * Placeholder names a command may use for its arguments and option values. Keeping them to one
 * list is what makes `INPUT...` mean the same thing in every command's help (see
 * PLACEHOLDERS_EXPLAINED for what each one is).
 */
export const PLACEHOLDERS = [
  'INPUT', 'FILE', 'DIR', 'SERVER', 'LOGFILE_OR_DIR', 'FORMAT', 'SEVERITY', 'IP', 'IP,...', 'ADDR', 'ADDR,...', 'N',
  'RULE,...', 'VERSION', 'SERVER,...', 'SHELL', 'DATE', 'HOST[:PORT]', 'RULE@CONNECTOR', 'OLD=NEW', 'IP=PUBLIC,...', 'TARGET',
] as const;

/** Shown at the foot of the top-level help, so that every command's help can use them bare. */
export const PLACEHOLDERS_EXPLAINED: ReadonlyArray<readonly [string, string]> = [
  ['INPUT...', 'exports, folders of exports, or snapshots; merged into one'],
  ['SERVER', 'an Exchange server named in the input, e.g. EX01'],
  ['FILE, DIR', 'a file or a folder, relative to the current directory'],
  ['LOGFILE_OR_DIR...', 'SMTP receive protocol logs (plain or .gz) or folders'],
];

const examplesByCommand = new WeakMap<Command, readonly Example[]>();

/** Attaches the examples to the command's help (after the options) and keeps them for tests. */
export function withExamples(cmd: Command, examples: readonly Example[]): Command {
  examplesByCommand.set(cmd, examples);
  cmd.addHelpText('after', renderExamples(examples));
  return cmd;
}

export function examplesOf(cmd: Command): readonly Example[] {
  return examplesByCommand.get(cmd) ?? [];
}

function renderExamples(examples: readonly Example[]): string {
  return ['', 'Examples:', ...examples.flatMap((e) => [`  # ${e.what}`, `  ${e.run}`])].join('\n');
}

export const REQUIRED_GROUP = 'Required options:';

/** A default is worth showing when it is a value a reader could choose: not [], false or "". */
function meaningfulDefault(option: Option): string | null {
  const value: unknown = option.defaultValue;
  if (option.defaultValueDescription !== undefined) return option.defaultValueDescription;
  if (value === undefined || value === false || value === '' || (Array.isArray(value) && value.length === 0)) return null;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return null;
}

/** The help formatter every command shares (set once on the program; subcommands inherit it). */
/** "one of: a, b" unless the description already names every value ("text or json"). */
function choicesNote(description: string, choices: readonly string[] | undefined): string | null {
  const words = new Set(description.split(/[^\w.-]+/));
  return choices === undefined || choices.length === 0 || choices.every((c) => words.has(c)) ? null : `one of: ${choices.join(', ')}`;
}

export const HELP_SETTINGS: Partial<Help> = {
  argumentDescription(argument: Argument): string {
    const note = choicesNote(argument.description, argument.argChoices);
    return note === null ? argument.description : `${argument.description} (${note})`;
  },
  optionDescription(option: Option): string {
    const extra: string[] = [];
    const note = choicesNote(option.description, option.argChoices);
    if (note !== null) extra.push(note);
    const fallback = meaningfulDefault(option);
    // A description that already explains its default ("default: all interfaces") says it better.
    if (fallback !== null && !/\bdefault\b/i.test(option.description)) extra.push(`default: ${fallback}`);
    return extra.length === 0 ? option.description : `${option.description} (${extra.join('; ')})`;
  },
  subcommandTerm(cmd: Command): string {
    return cmd.name();
  },
  argumentTerm(argument: Argument): string {
    return `${argument.name()}${argument.variadic ? '...' : ''}`;
  },
};

/** `migrate INPUT... --source-server SERVER --target-server SERVER [options]`. */
function usageOf(cmd: Command): string {
  if (cmd.commands.length > 0) return 'COMMAND [options]';
  const args = cmd.registeredArguments.map((a) => {
    const name = `${a.name()}${a.variadic ? '...' : ''}`;
    return a.required ? name : `[${name}]`;
  });
  const required = cmd.options.filter((o) => o.mandatory).map((o) => o.flags.replace(/^-\w, /, '').replace(/[<>]/g, ''));
  return [...args, ...required, '[options]'].join(' ');
}

/**
 * Applies the shared style to every command below `program` once they are all registered:
 * required options first and in their own group, and a usage line that names them.
 */
export function applyHelpStyle(program: Command): void {
  for (const cmd of program.commands) {
    // Stable sort: required options first, each group in the order the command declared it.
    // commander types the list read-only but renders it in array order; reordering is the supported way to order help.
    (cmd.options as Option[]).sort((a, b) => Number(b.mandatory) - Number(a.mandatory));
    for (const option of cmd.options) {
      if (option.mandatory) option.helpGroup(REQUIRED_GROUP);
      // Choices checked by our own parser (one error wording) are still shown, and completed.
      const choices = choicesOf(option);
      if (choices !== null) option.argChoices = [...choices];
    }
    cmd.usage(usageOf(cmd));
    if (cmd.commands.length > 0) cmd.helpCommand(false);
    applyHelpStyle(cmd);
  }
}

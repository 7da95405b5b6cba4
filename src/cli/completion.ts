// Shell completion scripts generated from the commander program itself, so that a new command
// or option completes without anyone editing a script. What each value completes to comes from
// its placeholder: FILE and INPUT complete paths, DIR folders, options with choices their values.
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'pwsh'] as const;
export type Shell = (typeof SHELLS)[number];

type ValueKind = 'none' | 'path' | 'dir' | 'free';

interface OptionSpec { names: string[]; value: ValueKind; choices: readonly string[] }
interface CommandSpec {
  /** Words after `exrelay` that name the command ("emit postfix"); "" for the program. */
  path: string;
  subcommands: string[];
  options: OptionSpec[];
  /** What a word that is not an option completes to. */
  operands: ValueKind;
  operandChoices: readonly string[];
}

function valueKind(placeholder: string | undefined): ValueKind {
  if (placeholder === undefined) return 'none';
  const word = placeholder.replace(/\.\.\.$/, '');
  if (word === 'DIR') return 'dir';
  if (word === 'FILE' || word === 'INPUT' || word === 'LOGFILE_OR_DIR') return 'path';
  return 'free';
}

function optionSpec(option: Option): OptionSpec {
  const placeholder = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  return {
    names: [option.long, option.short].filter((n): n is string => n !== undefined),
    value: valueKind(placeholder === null ? undefined : placeholder[1] ?? placeholder[2]),
    choices: option.argChoices ?? [],
  };
}

/** Every command below `program` (and the program itself), as the completion scripts need it. */
export function commandSpecs(program: Command): CommandSpec[] {
  const out: CommandSpec[] = [];
  const walk = (cmd: Command, path: string[]): void => {
    const first = cmd.registeredArguments[0];
    out.push({
      path: path.join(' '),
      subcommands: cmd.commands.map((c) => c.name()),
      options: [...cmd.options.map(optionSpec), { names: ['--help', '-h'], value: 'none', choices: [] }],
      operands: first === undefined ? 'none' : valueKind(first.name()),
      operandChoices: first?.argChoices ?? [],
    });
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return out;
}

/** A word as a shell-safe literal inside single quotes (names here are plain, but be sure). */
const single = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

function bashReply(kind: ValueKind, choices: readonly string[]): string {
  if (choices.length > 0) return `COMPREPLY=($(compgen -W ${single(choices.join(' '))} -- "$cur"))`;
  if (kind === 'dir') return 'COMPREPLY=($(compgen -d -- "$cur"))';
  if (kind === 'path') return 'COMPREPLY=($(compgen -f -- "$cur"))';
  return 'COMPREPLY=()';
}

export function bashCompletion(program: Command): string {
  const specs = commandSpecs(program);
  const paths = specs.filter((s) => s.path !== '').map((s) => s.path);
  const lines = [
    '# exrelay completion for bash. Load it with:',
    '#   source <(exrelay completion bash)',
    '# or save it as ~/.local/share/bash-completion/completions/exrelay',
    '_exrelay() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" path="" candidate i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    candidate="${path:+$path }${COMP_WORDS[i]}"',
    `    case "$candidate" in ${paths.map(single).join('|')}) path="$candidate" ;; esac`,
    '  done',
    '  case "$path" in',
  ];
  for (const spec of specs) {
    lines.push(`    ${single(spec.path)})`);
    const valued = spec.options.filter((o) => o.value !== 'none');
    if (valued.length > 0) {
      lines.push('      case "$prev" in');
      for (const o of valued) lines.push(`        ${o.names.map(single).join('|')}) ${bashReply(o.value, o.choices)}; return 0 ;;`);
      lines.push('      esac');
    }
    const flags = spec.options.flatMap((o) => o.names.filter((n) => n.startsWith('--')));
    lines.push(`      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W ${single(flags.join(' '))} -- "$cur"))`);
    if (spec.subcommands.length > 0) lines.push(`      else COMPREPLY=($(compgen -W ${single(spec.subcommands.join(' '))} -- "$cur"))`);
    else lines.push(`      else ${bashReply(spec.operands, spec.operandChoices)}`);
    lines.push('      fi', '      ;;');
  }
  lines.push('  esac', '  return 0', '}', 'complete -o filenames -F _exrelay exrelay', '');
  return lines.join('\n');
}

/** zsh runs the same function through its bash compatibility layer (bashcompinit). */
export function zshCompletion(program: Command): string {
  return [
    '#compdef exrelay',
    '# exrelay completion for zsh. Load it with:',
    '#   source <(exrelay completion zsh)',
    '# or save it as _exrelay in a folder of your $fpath.',
    'autoload -U +X compinit && compinit',
    'autoload -U +X bashcompinit && bashcompinit',
    ...bashCompletion(program).split('\n').filter((l) => !l.startsWith('#')),
  ].join('\n');
}

/** A PowerShell string literal (single-quoted; a quote is doubled). */
const psString = (word: string): string => `'${word.replace(/'/g, "''")}'`;

function psValueKind(kind: ValueKind): string {
  return psString(kind);
}

export function pwshCompletion(program: Command): string {
  const specs = commandSpecs(program);
  const table = specs.map((spec) => {
    const options = spec.options.map((o) => `        @{ Names = @(${o.names.map(psString).join(', ')}); Value = ${psValueKind(o.value)}; Choices = @(${o.choices.map(psString).join(', ')}) }`);
    return [
      `  ${psString(spec.path)} = @{`,
      `    Subcommands = @(${spec.subcommands.map(psString).join(', ')})`,
      `    OperandChoices = @(${spec.operandChoices.map(psString).join(', ')})`,
      '    Options = @(',
      options.join('\n'),
      '    )',
      '  }',
    ].join('\n');
  });
  return [
    '# exrelay completion for PowerShell 7 (Windows PowerShell 5.1 too). Load it with:',
    '#   exrelay completion pwsh | Out-String | Invoke-Expression',
    '# or add that line to your $PROFILE.',
    '$exrelayCommands = @{',
    ...table,
    '}',
    '',
    'Register-ArgumentCompleter -Native -CommandName exrelay -ScriptBlock {',
    '  param($wordToComplete, $commandAst, $cursorPosition)',
    '  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -le $cursorPosition } | ForEach-Object { $_.ToString() })',
    '  if ($wordToComplete -ne \'\' -and $words.Count -gt 0) { $words = @($words | Select-Object -SkipLast 1) }',
    '  $path = \'\'',
    '  foreach ($word in ($words | Select-Object -Skip 1)) {',
    '    $candidate = if ($path -eq \'\') { $word } else { "$path $word" }',
    '    if ($exrelayCommands.ContainsKey($candidate)) { $path = $candidate }',
    '  }',
    '  $spec = $exrelayCommands[$path]',
    '  $previous = if ($words.Count -gt 0) { $words[-1] } else { \'\' }',
    '  $valued = $spec.Options | Where-Object { $_.Names -contains $previous -and $_.Value -ne \'none\' }',
    '  if ($valued) {',
    '    # Paths and free values: nothing here, so PowerShell offers its own path completion.',
    '    $candidates = @($valued.Choices)',
    '  } elseif ($wordToComplete.StartsWith(\'-\')) {',
    '    $candidates = @($spec.Options | ForEach-Object { $_.Names } | Where-Object { $_.StartsWith(\'--\') })',
    '  } elseif ($spec.Subcommands.Count -gt 0) {',
    '    $candidates = @($spec.Subcommands)',
    '  } else {',
    '    $candidates = @($spec.OperandChoices)',
    '  }',
    '  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {',
    '    [System.Management.Automation.CompletionResult]::new($_, $_, \'ParameterValue\', $_)',
    '  }',
    '}',
    '',
  ].join('\n');
}

export function completionScript(program: Command, shell: Shell): string {
  switch (shell) {
    case 'bash': return bashCompletion(program);
    case 'zsh': return zshCompletion(program);
    case 'pwsh': return pwshCompletion(program);
  }
}

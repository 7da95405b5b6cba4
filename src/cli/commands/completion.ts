// `exrelay completion bash|zsh|pwsh`: the shell completion script, generated from the commands
// and options exrelay has (src/cli/completion.ts), printed for the shell to load.
import { Argument, type Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { completionScript, SHELLS, type Shell } from '../completion.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';

export function registerCompletion(program: Command, ctx: CommandContext): void {
  const cmd = program.command('completion')
    .summary('print the shell completion script (bash, zsh, pwsh)')
    .description('Print a script that completes exrelay\'s commands, options, their values (formats, versions, severities) and file names in bash, '
      + 'zsh or PowerShell. It is generated from the commands themselves, so it completes exactly what this version accepts.')
    .addArgument(new Argument('<SHELL>', 'bash, zsh or pwsh (PowerShell 7; Windows PowerShell 5.1 too)').choices(SHELLS));
  withExamples(cmd, [
    { what: 'bash, for this shell', run: 'exrelay completion bash > ~/.local/share/bash-completion/completions/exrelay' },
    { what: 'PowerShell, in $PROFILE', run: 'exrelay completion pwsh | Out-String | Invoke-Expression' },
    { what: 'zsh', run: 'exrelay completion zsh > "${fpath[1]}/_exrelay"' },
  ]);
  cmd.action((shell: Shell) => {
    ctx.io.stdout(completionScript(program, shell));
    ctx.setExitCode(ExitCode.Ok);
  });
}

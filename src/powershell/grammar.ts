// The real PowerShell grammar (tree-sitter-powershell compiled to wasm, run by web-tree-sitter).
// Emitted scripts are checked against it and `apply` reads change scripts with it, so there is
// exactly one loader: the grammar is instantiated once per process and the parser reused.
//
// Cost: V8's optimising wasm tier spends ~6–10 s of CPU on this grammar, and a node process
// waits for that background compilation before it exits. Baseline (Liftoff) code parses our
// scripts fast enough, so the loader switches V8 to Liftoff-only *before* the first wasm
// module is compiled. This is done in-process (v8.setFlagsFromString) so bin/exrelay and the
// test runner pay ~0.1 s without needing a node command-line flag.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Language, Parser } from 'web-tree-sitter';
import type { Node, Tree } from 'web-tree-sitter';

export type { Node as SyntaxNode, Tree as SyntaxTree } from 'web-tree-sitter';

export interface GrammarError {
  /** 1-based line of the error in the parsed text. */
  line: number;
  /** 1-based column (in UTF-16 code units of that line as tree-sitter counts bytes; ASCII-exact). */
  column: number;
  /** The offending text (shortened), or `missing X` for a token the grammar expected. */
  text: string;
}

export interface ParsedPowerShell {
  tree: Tree;
  hasErrors: boolean;
  errors: GrammarError[];
}

let loading: Promise<Parser> | null = null;

/** Resolves a file inside an installed package from this module, never from the cwd. */
function packageFile(specifier: string): string {
  return createRequire(import.meta.url).resolve(specifier);
}

async function loadParser(): Promise<Parser> {
  // Must precede the first WebAssembly compilation in the process to take effect.
  setFlagsFromString('--liftoff-only');
  await Parser.init();
  const language = await Language.load(packageFile('tree-sitter-powershell/tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** The process-wide parser; the grammar is loaded on first use only. */
export function powerShellParser(): Promise<Parser> {
  if (loading === null) {
    loading = loadParser();
    // A failed load may be retried by a later call rather than poisoning the process.
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** Parses PowerShell text; syntax errors are reported, not thrown. */
export async function parsePowerShell(text: string): Promise<ParsedPowerShell> {
  const parser = await powerShellParser();
  const tree = parser.parse(text);
  if (tree === null) throw new Error('the PowerShell parser returned no tree');
  const errors = collectErrors(tree.rootNode);
  return { tree, hasErrors: errors.length > 0, errors };
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}

/** ERROR and MISSING nodes in document order. */
export function collectErrors(root: Node): GrammarError[] {
  const out: GrammarError[] = [];
  const visit = (node: Node): void => {
    if (node.isMissing) {
      out.push({ ...position(node), text: `missing ${JSON.stringify(node.type)}` });
      return;
    }
    if (node.type === 'ERROR') {
      out.push({ ...position(node), text: shorten(node.text) });
      return;
    }
    if (!node.hasError) return;
    for (const child of node.children) visit(child);
  };
  visit(root);
  return out;
}

/** 1-based line and column of a node's start. */
export function position(node: Node): { line: number; column: number } {
  return { line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
}

/** 1-based line of a node's start. */
export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** Every `command` node under `root`, in document order (nested ones included). */
export function commandNodes(root: Node): Node[] {
  return root.descendantsOfType('command').filter((n): n is Node => n !== null);
}

/** The command's name as written (e.g. `New-ReceiveConnector`), or '' when it has none. */
export function commandName(command: Node): string {
  return command.childForFieldName('command_name')?.text ?? '';
}

/** One element of a command line, in order: a `-Parameter` or an argument expression. */
export type CommandElement =
  | {
      kind: 'parameter';
      /** Name without the dash, as written (case preserved). */
      name: string;
      /** True when written `-Name:value`: the next argument belongs to it even for a switch. */
      colon: boolean;
      node: Node;
    }
  | { kind: 'argument'; node: Node };

/** The elements of a command (parameters and arguments), separators dropped. */
export function commandElements(command: Node): CommandElement[] {
  const list = command.childForFieldName('command_elements');
  if (list === null) return [];
  const out: CommandElement[] = [];
  for (const child of list.namedChildren) {
    if (child === null) continue;
    if (child.type === 'command_argument_sep') {
      if (child.text.startsWith(':')) {
        const last = out[out.length - 1];
        if (last !== undefined && last.kind === 'parameter') last.colon = true;
      }
      continue;
    }
    if (child.type === 'comment') continue;
    if (child.type === 'command_parameter') {
      // `-Name:` may be lexed as one token with the colon attached.
      const raw = child.text;
      const colon = raw.endsWith(':');
      out.push({ kind: 'parameter', name: raw.replace(/^-/, '').replace(/:$/, ''), colon, node: child });
      continue;
    }
    out.push({ kind: 'argument', node: child });
  }
  return out;
}

/**
 * The commands of the pipeline `command` belongs to, in order (itself included), e.g. for
 * `Get-ReceiveConnector X | Add-ADPermission …` both commands.
 */
export function pipelineOf(command: Node): Node[] {
  const chain = command.parent;
  if (chain === null || chain.type !== 'pipeline_chain') return [command];
  return chain.namedChildren.filter((n): n is Node => n !== null && n.type === 'command');
}

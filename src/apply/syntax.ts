// Small readings of the PowerShell syntax tree the interpreter shares: unwrapping precedence
// wrappers, variable names, script-block arguments, and the aliases of the pipeline cmdlets.
import { commandElements, type SyntaxNode } from '../powershell/grammar.js';
import type { PsValue } from './ps-types.js';

/** The aliases PowerShell defines for Where-Object and ForEach-Object. */
export const WHERE = ['Where-Object', 'where', '?'];
export const FOREACH = ['ForEach-Object', 'foreach', '%'];

/** The expression inside precedence wrappers that hold a single child (unary_expression, …). */
export function innermost(node: SyntaxNode): SyntaxNode {
  let current = node;
  for (;;) {
    const kids = current.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');
    const only = kids[0];
    if (kids.length !== 1 || only === undefined) return current;
    // A node with one named child but other tokens (`-not x`, `(x)`, `$x.Name`) is not a wrapper.
    if (current.children.length !== 1 && !UNWRAPPED.has(current.type)) return current;
    current = only;
  }
}

const UNWRAPPED = new Set(['pipeline', 'pipeline_chain', 'left_assignment_expression', 'unary_expression']);

/** `$Name`, `${Name}`, `$script:Name`, `@Name` → `name` (variables are case-insensitive). */
export function variableName(text: string): string {
  return text.replace(/^[$@]\{?/, '').replace(/\}$/, '').replace(/^(script|global|local):/i, '').toLowerCase();
}

/** What a pipeline or foreach enumerates: a collection's elements, nothing for $null, else the value. */
export function asItems(v: PsValue): PsValue[] {
  if (v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * The script block given to Where-Object/ForEach-Object, positionally or as `-Name { … }`, or null
 * when the command has anything else (e.g. the simplified Where-Object form).
 */
export function scriptBlockArgument(command: SyntaxNode, parameter: string): SyntaxNode | null {
  const elements = commandElements(command);
  const blockOf = (node: SyntaxNode): SyntaxNode | null => {
    const inner = innermost(node);
    return inner.type === 'script_block_expression' ? inner : null;
  };
  if (elements.length === 1 && elements[0]?.kind === 'argument') return blockOf(elements[0].node);
  const [param, arg] = elements;
  if (elements.length === 2 && param?.kind === 'parameter' && arg?.kind === 'argument' && parameter.toLowerCase().startsWith(param.name.toLowerCase())) {
    return blockOf(arg.node);
  }
  return null;
}

/** The statements of a script block's body (a block with param() or named blocks has none we run). */
export function scriptBlockStatements(block: SyntaxNode): SyntaxNode[] {
  const body = block.descendantsOfType('script_block_body')[0] ?? null;
  if (body === null) return [];
  const list = body.namedChildren.find((c) => c !== null && c.type === 'statement_list') ?? null;
  return list?.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment' && c.type !== 'empty_statement') ?? [];
}

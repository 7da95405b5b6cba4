// Values of PowerShell expressions as a change script writes them: literals, variables assigned
// from literals, arrays, `@{Add=…; Remove=…}` hashtables, and (through a callback) the few
// query commands a guard may call. Anything else is "cannot evaluate", which the caller reports
// with the statement's line.
import type { SyntaxNode } from '../powershell/grammar.js';
import { psUnquoteVerbatim } from '../powershell/quote.js';

export interface PsHash { readonly hash: ReadonlyMap<string, PsValue> }
export type PsValue = string | number | boolean | null | PsValue[] | PsHash;

/** Thrown for a construct the dry run cannot evaluate; `node` locates it. */
export class CannotEvaluate extends Error {
  constructor(readonly node: SyntaxNode, message: string) { super(message); }
}

export interface EvalContext {
  /** Variables, keyed by lower-case name without `$`. */
  variables: Map<string, PsValue>;
  /** Evaluates a command used as a value (e.g. `(Get-ReceiveConnector X -ErrorAction SilentlyContinue)`). */
  runQuery(command: SyntaxNode): PsValue;
}

export function isHash(v: PsValue): v is PsHash {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** PowerShell truthiness. */
export function isTruthy(v: PsValue): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length === 1 ? isTruthy(v[0] ?? null) : v.length > 0;
  return true;
}

/** A value as PowerShell would turn it into a string (arrays joined by spaces). */
export function stringify(v: PsValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(stringify).join(' ');
  return 'System.Collections.Hashtable';
}

const MULTIPLIERS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 };

/** A PowerShell numeric literal (`200`, `0x10`, `35MB`, `1.5`), or null. */
export function parseNumberLiteral(text: string): number | null {
  const m = /^(0x[0-9a-f]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?)(l|d)?(kb|mb|gb|tb|pb)?$/i.exec(text.trim());
  if (m === null) return null;
  const raw = m[1] ?? '';
  const base = raw.toLowerCase().startsWith('0x') ? Number.parseInt(raw.slice(2), 16) : Number(raw);
  const mult = m[3] === undefined ? 1 : (MULTIPLIERS[m[3].toLowerCase()] ?? 1);
  return base * mult;
}

function lookup(ctx: EvalContext, node: SyntaxNode, rawName: string): PsValue {
  const name = rawName.replace(/^\$\{?/, '').replace(/\}$/, '').replace(/^(script|global|local):/i, '').toLowerCase();
  if (name === 'true') return true;
  if (name === 'false') return false;
  if (name === 'null') return null;
  if (!ctx.variables.has(name)) throw new CannotEvaluate(node, `variable $${name} is not assigned from a literal`);
  return ctx.variables.get(name) ?? null;
}

/** Expands a double-quoted string body: backtick escapes, `""`, `$name`, `${name}`. */
function expand(ctx: EvalContext, node: SyntaxNode, body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c === '`') {
      const n = body[i + 1] ?? '';
      i++;
      const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', a: '\u0007', b: '\b', f: '\f', v: '\v', e: '\u001b' };
      out += escapes[n] ?? n;
      continue;
    }
    if ((c === '"' || c === '\u201C' || c === '\u201D' || c === '\u201E') && /["\u201C\u201D\u201E]/.test(body[i + 1] ?? '')) {
      out += body[i + 1];
      i++;
      continue;
    }
    if (c === '$') {
      const rest = body.slice(i + 1);
      if (rest.startsWith('(')) throw new CannotEvaluate(node, 'a $(...) subexpression in a string cannot be evaluated in a dry run');
      const braced = /^\{([^}]+)\}/.exec(rest);
      const plain = /^(?:(?:script|global|local|env):)?[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
      if (braced !== null) {
        out += stringify(lookup(ctx, node, braced[1] ?? ''));
        i += braced[0].length;
        continue;
      }
      if (plain !== null) {
        if (/^env:/i.test(plain[0])) throw new CannotEvaluate(node, `$${plain[0]} depends on the machine the script runs on`);
        out += stringify(lookup(ctx, node, plain[0]));
        i += plain[0].length;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function stringLiteral(ctx: EvalContext, node: SyntaxNode): string {
  const inner = node.namedChildren[0] ?? null;
  const text = node.text;
  if (inner !== null && inner.type === 'verbatim_string_characters') return psUnquoteVerbatim(inner.text);
  if (inner !== null && inner.type === 'verbatim_here_string_characters') {
    return inner.text.replace(/^@['\u2018\u2019\u201A\u201B][^\n]*\n/, '').replace(/\r?\n['\u2018\u2019\u201A\u201B]@$/, '');
  }
  if (text.startsWith('@')) {
    return expand(ctx, node, text.replace(/^@["\u201C\u201D\u201E][^\n]*\n/, '').replace(/\r?\n["\u201C\u201D\u201E]@$/, ''));
  }
  return expand(ctx, node, text.slice(1, -1));
}

/** Evaluates an expression node (argument, assignment value, condition). */
export function evaluate(ctx: EvalContext, node: SyntaxNode): PsValue {
  switch (node.type) {
    case 'string_literal':
      return stringLiteral(ctx, node);
    case 'generic_token': {
      // A bare word argument: PowerShell passes it as a string (numbers stay numbers).
      const n = parseNumberLiteral(node.text);
      return n ?? node.text;
    }
    case 'integer_literal':
    case 'real_literal': {
      const n = parseNumberLiteral(node.text);
      if (n === null) throw new CannotEvaluate(node, `cannot read the number ${node.text}`);
      return n;
    }
    case 'variable':
      return lookup(ctx, node, node.text);
    case 'array_literal_expression': {
      const items = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');
      if (items.length === 1 && items[0] !== undefined) return evaluate(ctx, items[0]);
      return items.map((c) => evaluate(ctx, c));
    }
    case 'array_expression': {
      const list = node.namedChildren.find((c) => c !== null && c.type === 'statement_list') ?? null;
      if (list === null) return [];
      const out: PsValue[] = [];
      for (const stmt of list.namedChildren) {
        if (stmt === null || stmt.type === 'comment' || stmt.type === 'empty_statement') continue;
        const v = evaluate(ctx, stmt);
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
      return out;
    }
    case 'hash_literal_expression': {
      const entries = new Map<string, PsValue>();
      const body = node.namedChildren.find((c) => c !== null && c.type === 'hash_literal_body') ?? null;
      for (const entry of body?.namedChildren ?? []) {
        if (entry === null || entry.type !== 'hash_entry') continue;
        const key = entry.namedChildren.find((c) => c !== null && c.type === 'key_expression') ?? null;
        const value = entry.namedChildren.find((c) => c !== null && c.type === 'pipeline') ?? null;
        if (key === null || value === null) throw new CannotEvaluate(entry, 'incomplete hashtable entry');
        const keyText = key.namedChildren[0]?.type === 'string_literal' ? stringify(evaluate(ctx, key.namedChildren[0])) : key.text;
        entries.set(keyText.toLowerCase(), evaluate(ctx, value));
      }
      return { hash: entries };
    }
    case 'expression_with_unary_operator': {
      const op = node.children[0]?.text.toLowerCase() ?? '';
      const operand = node.namedChildren[node.namedChildren.length - 1] ?? null;
      if (operand === null) throw new CannotEvaluate(node, 'missing operand');
      const v = evaluate(ctx, operand);
      if (op === '-not' || op === '!') return !isTruthy(v);
      if (op === '-' && typeof v === 'number') return -v;
      if (op === '+' && typeof v === 'number') return v;
      throw new CannotEvaluate(node, `the operator ${op} is not supported in a dry run`);
    }
    case 'pipeline': {
      const kids = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
      if (kids.length === 1 && kids[0] !== undefined) return evaluate(ctx, kids[0]);
      throw new CannotEvaluate(node, 'cannot evaluate this expression');
    }
    case 'pipeline_chain': {
      const kids = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
      if (kids.length === 1 && kids[0] !== undefined) return evaluate(ctx, kids[0]);
      // A pipeline of commands used as a value: the query callback decides.
      const commands = kids.filter((k) => k.type === 'command');
      if (commands.length === kids.length && commands.length > 0) return ctx.runQuery(node);
      throw new CannotEvaluate(node, 'cannot evaluate this expression');
    }
    case 'command': {
      // The grammar reads a lone numeric literal with a multiplier (`$size = 50MB`) as a command.
      const name = node.childForFieldName('command_name')?.text ?? '';
      const n = node.childForFieldName('command_elements') === null ? parseNumberLiteral(name) : null;
      return n ?? ctx.runQuery(node);
    }
    case 'parenthesized_expression': {
      const inner = node.namedChildren.find((c) => c !== null) ?? null;
      if (inner === null) return null;
      return evaluate(ctx, inner);
    }
    default: {
      // Precedence wrappers (logical_expression, unary_expression, …) with a single child.
      const kids = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
      if (kids.length === 1 && kids[0] !== undefined && node.children.length === 1) return evaluate(ctx, kids[0]);
      if (node.type === 'unary_expression' && kids.length === 1 && kids[0] !== undefined) return evaluate(ctx, kids[0]);
      throw new CannotEvaluate(node, `cannot evaluate ${node.type.replace(/_/g, ' ')} \`${node.text.slice(0, 40)}\` in a dry run`);
    }
  }
}

/** Flattens a value into a list of strings (arrays and single values alike). */
export function toStringList(v: PsValue): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.flatMap(toStringList);
  return [stringify(v)];
}

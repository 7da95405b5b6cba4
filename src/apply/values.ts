// Values of PowerShell expressions as a change script writes them: literals, variables assigned
// from literals, arrays, `@{Add=…; Remove=…}` hashtables, and (through a callback) the few
// query commands a guard may call. Anything else is "cannot evaluate", which the caller reports
// with the statement's line.
import type { SyntaxNode } from '../powershell/grammar.js';
import { psUnquoteVerbatim } from '../powershell/quote.js';

import { Refusal } from './coercion.js';
import { CannotEvaluate, isHash, isObject, isTruthy, stringify, type EvalContext, type PsValue } from './ps-types.js';
import {
  NotEvaluable, PowerShellFailure, addValues, compareValues, logicalOperator, subtractValues,
} from './operators.js';

export * from './ps-types.js';

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
  if (inner !== null && inner.type === 'expandable_string_literal') {
    const subs = inner.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type === 'sub_expression');
    if (subs.length > 0) return withSubexpressions(ctx, node, text, subs);
  }
  return expand(ctx, node, text.slice(1, -1));
}

/**
 * `"… $(expression) …"`: each subexpression is evaluated (one expression, no command with an
 * effect) and put in as PowerShell converts it to text; the rest expands as usual.
 */
function withSubexpressions(ctx: EvalContext, node: SyntaxNode, text: string, subs: SyntaxNode[]): string {
  let out = '';
  let at = 1; // after the opening quote
  for (const sub of subs) {
    const start = sub.startIndex - node.startIndex;
    if (text.slice(start, start + sub.text.length) !== sub.text) throw new CannotEvaluate(node, 'a $(...) subexpression the dry run cannot locate');
    out += expand(ctx, node, text.slice(at, start));
    const list = sub.namedChildren.find((c) => c !== null && c.type === 'statement_list') ?? null;
    const statements = list?.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment') ?? [];
    const only = statements[0];
    if (statements.length !== 1 || only === undefined) throw new CannotEvaluate(sub, 'a $(...) subexpression that is not one expression');
    const value = evaluate(ctx, only);
    for (const v of Array.isArray(value) ? value : [value]) {
      if (isObject(v) && (v.textUnknown !== undefined || v.domainUnknown !== undefined)) {
        throw new CannotEvaluate(sub, v.textUnknown ?? v.domainUnknown?.why ?? 'unknown text');
      }
    }
    out += stringify(value);
    at = start + sub.text.length;
  }
  return out + expand(ctx, node, text.slice(at, -1));
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
      // A pipeline used as a value (`$keep = $list | Where-Object {…}`): the query callback decides.
      if (kids.length > 1) return ctx.runQuery(node);
      throw new CannotEvaluate(node, 'cannot evaluate this expression');
    }
    case 'command': {
      // The grammar reads a lone numeric literal with a multiplier (`$size = 50MB`) as a command.
      const name = node.childForFieldName('command_name')?.text ?? '';
      const n = node.childForFieldName('command_elements') === null ? parseNumberLiteral(name) : null;
      return n ?? ctx.runQuery(node);
    }
    case 'comparison_expression':
    case 'additive_expression':
    case 'logical_expression':
      if (node.children.length === 3) return binary(ctx, node);
      return single(ctx, node);
    case 'member_access':
      return memberAccess(ctx, node);
    case 'invokation_expression':
      return invocation(ctx, node);
    case 'parenthesized_expression': {
      const inner = node.namedChildren.find((c) => c !== null) ?? null;
      if (inner === null) return null;
      return evaluate(ctx, inner);
    }
    default:
      return single(ctx, node);
  }
}

/** Precedence wrappers (unary_expression, range_expression, …) around one expression. */
function single(ctx: EvalContext, node: SyntaxNode): PsValue {
  const kids = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
  if (kids.length === 1 && kids[0] !== undefined && node.children.length === 1) return evaluate(ctx, kids[0]);
  if (node.type === 'unary_expression' && kids.length === 1 && kids[0] !== undefined) return evaluate(ctx, kids[0]);
  throw new CannotEvaluate(node, `cannot evaluate ${node.type.replace(/_/g, ' ')} \`${node.text.slice(0, 40)}\` in a dry run`);
}

/** Runs an operator, turning its "cannot answer" and PowerShell's own failures into the dry run's. */
function operate(node: SyntaxNode, run: () => PsValue): PsValue {
  try {
    return run();
  } catch (error) {
    if (error instanceof NotEvaluable) throw new CannotEvaluate(node, error.message);
    if (error instanceof PowerShellFailure) throw new Refusal(error.message);
    throw error;
  }
}

/** `lhs OP rhs` for an operator as written (`+`, `-`, `-like`, …), reported against `node`. */
export function applyOperator(node: SyntaxNode, op: string, lhs: PsValue, rhs: PsValue): PsValue {
  if (op === '+') return operate(node, () => addValues(lhs, rhs));
  if (op === '-') return operate(node, () => subtractValues(lhs, rhs));
  return operate(node, () => compareValues(op, lhs, rhs));
}

/** `a OP b` for comparison, additive and logical operators (left-associative nesting). */
function binary(ctx: EvalContext, node: SyntaxNode): PsValue {
  const [left, opNode, right] = node.children;
  if (left === null || left === undefined || right === null || right === undefined || opNode === null || opNode === undefined) {
    throw new CannotEvaluate(node, 'incomplete expression');
  }
  const op = opNode.text;
  if (node.type === 'logical_expression') {
    const logical = logicalOperator(op);
    if (logical === null) throw new CannotEvaluate(node, `the operator ${op} is not supported in a dry run`);
    const l = isTruthy(evaluate(ctx, left));
    // -and and -or stop early, as PowerShell does: the right side may not be evaluable then.
    if (logical === 'and') return l && isTruthy(evaluate(ctx, right));
    if (logical === 'or') return l || isTruthy(evaluate(ctx, right));
    return l !== isTruthy(evaluate(ctx, right));
  }
  const l = evaluate(ctx, left);
  const r = evaluate(ctx, right);
  if (node.type === 'comparison_expression') return operate(node, () => compareValues(op, l, r));
  if (op === '+') return operate(node, () => addValues(l, r));
  if (op === '-') return operate(node, () => subtractValues(l, r));
  throw new CannotEvaluate(node, `the operator ${op} is not supported in a dry run`);
}

/**
 * `$x.Name`: a property of an object, a hashtable's key, or (member enumeration) the property of
 * every element of a collection. A property the snapshot does not hold cannot be answered.
 */
function memberAccess(ctx: EvalContext, node: SyntaxNode): PsValue {
  const target = node.namedChildren[0] ?? null;
  const member = node.namedChildren.find((c) => c !== null && c.type === 'member_name') ?? null;
  if (target === null || member === null || node.text.includes('::')) throw new CannotEvaluate(node, `cannot evaluate ${node.text.slice(0, 40)} in a dry run`);
  return readMember(node, evaluate(ctx, target), memberText(ctx, member));
}

function memberText(ctx: EvalContext, member: SyntaxNode): string {
  const inner = member.namedChildren[0] ?? null;
  if (inner !== null && inner.type === 'string_literal') return stringify(evaluate(ctx, inner));
  if (inner !== null && inner.type !== 'simple_name') throw new CannotEvaluate(member, `a computed member name ${member.text}`);
  return member.text;
}

export function readMember(node: SyntaxNode, value: PsValue, name: string): PsValue {
  const key = name.toLowerCase();
  if (Array.isArray(value)) {
    if (key === 'count' || key === 'length') return value.length;
    return value.map((v) => readMember(node, v, name));
  }
  if (isHash(value)) {
    if (key === 'count') return value.hash.size;
    return value.hash.get(key) ?? null;
  }
  if (isObject(value)) {
    if (!value.props.has(key)) {
      throw new CannotEvaluate(node, value.props.size === 0
        ? `${value.object} "${value.text}" has no property ${name} the dry run knows`
        : `the snapshot does not hold ${value.object}.${name} for ${value.text} (not modelled, or not in the export)`);
    }
    return value.props.get(key) ?? null;
  }
  if (typeof value === 'string' && key === 'length') return value.length;
  throw new CannotEvaluate(node, `${name} of ${value === null ? '$null' : typeof value} cannot be evaluated in a dry run`);
}

/** Method calls used as values: only .ToString(), which every object answers with its text. */
function invocation(ctx: EvalContext, node: SyntaxNode): PsValue {
  const [target, member] = node.namedChildren;
  const args = node.namedChildren.find((c) => c !== null && c.type === 'argument_list') ?? null;
  if (target === null || target === undefined || member === null || member === undefined || member.type !== 'member_name') {
    throw new CannotEvaluate(node, `cannot evaluate ${node.text.slice(0, 40)} in a dry run`);
  }
  const hasArgs = (args?.namedChildren.filter((c) => c !== null).length ?? 0) > 0;
  if (/^tostring$/i.test(member.text) && !hasArgs && !node.text.includes('::')) {
    const v = evaluate(ctx, target);
    if (isHash(v) || Array.isArray(v)) throw new CannotEvaluate(node, 'ToString() of a collection or hashtable');
    if (isObject(v) && v.textUnknown !== undefined) throw new CannotEvaluate(node, v.textUnknown);
    // A domain group's text is known only at its end: the string keeps that.
    if (isObject(v) && v.domainUnknown !== undefined) return { object: 'String', text: v.text, props: new Map(), domainUnknown: v.domainUnknown };
    return stringify(v);
  }
  throw new CannotEvaluate(node, `the method call .${member.text}() cannot be evaluated in a dry run`);
}

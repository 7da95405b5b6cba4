// PowerShell parameter binding for the cmdlets the dry run knows: names and unambiguous
// prefixes, switches (with `-Switch:$false`), one positional parameter, and the error
// preference that silences a refusal.
import { InputError } from '../errors.js';
import { commandElements, lineOf, type SyntaxNode } from '../powershell/grammar.js';
import { resolveParam, type CmdletSpec } from './cmdlets/specs.js';
import { CannotEvaluate, evaluate, isHash, isTruthy, stringify, type EvalContext, type PsValue } from './values.js';

export interface Bound { value: PsValue; node: SyntaxNode | null }
/** A command's bound parameters by canonical name (`extra:Name` for unmodelled ones). */
export type Params = Map<string, Bound>;

/** Binds a command's parameters as PowerShell does (names, prefixes, switches, positionals). */
export function bindParameters(spec: CmdletSpec, command: SyntaxNode, ctx: EvalContext, file: string): Params {
  const fail = (message: string): never => { throw new InputError(file, lineOf(command), message); };
  const bound: Params = new Map();
  const elements = commandElements(command);
  let positionalUsed = false;
  const bind = (name: string, value: Bound): void => {
    if (bound.has(name)) fail(`${spec.name}: cannot bind parameter because parameter '${name.replace(/^extra:/, '')}' is specified more than once`);
    bound.set(name, value);
  };
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i];
    if (el === undefined) continue;
    const splat = el.kind === 'argument' ? splattedVariable(el.node) : null;
    if (splat !== null) {
      // `@params`: each key of the hashtable binds as `-Key value` (a switch takes the value's truth).
      const value = ctx.variables.get(splat);
      if (value === undefined) throw new CannotEvaluate(el.node, `@${splat} is not assigned`);
      if (!isHash(value)) throw new CannotEvaluate(el.node, `@${splat} splats an array (positional arguments), which the dry run does not bind`);
      for (const [key, v] of value.hash) {
        const p = resolveParam(spec, key);
        if (p === 'ambiguous') return fail(`${spec.name}: parameter -${key} (splatted from @${splat}) is ambiguous`);
        if (p === null) return fail(`${spec.name}: a parameter cannot be found that matches parameter name '${key}' (splatted from @${splat})`);
        bind(p.extra ? `extra:${p.name}` : p.name, { value: p.kind === 'switch' ? isTruthy(v) : v, node: el.node });
      }
      continue;
    }
    if (el.kind === 'parameter') {
      const p = resolveParam(spec, el.name);
      if (p === 'ambiguous') return fail(`${spec.name}: parameter -${el.name} is ambiguous`);
      if (p === null) return fail(`${spec.name}: a parameter cannot be found that matches parameter name '${el.name}'`);
      const next = elements[i + 1];
      if (p.kind === 'switch') {
        if (el.colon && next !== undefined && next.kind === 'argument') {
          bind(p.name, { value: isTruthy(evaluate(ctx, next.node)), node: next.node });
          i++;
        } else {
          bind(p.name, { value: true, node: el.node });
        }
        continue;
      }
      if (next === undefined || next.kind !== 'argument') return fail(`${spec.name}: missing an argument for parameter -${p.name}`);
      bind(p.extra ? `extra:${p.name}` : p.name, { value: evaluate(ctx, next.node), node: next.node });
      i++;
      continue;
    }
    if (positionalUsed || spec.positional === null || bound.has(spec.positional)) {
      fail(`${spec.name}: a positional parameter cannot be found that accepts argument '${el.node.text.slice(0, 40)}'`);
    }
    if (spec.positional !== null) bind(spec.positional, { value: evaluate(ctx, el.node), node: el.node });
    positionalUsed = true;
  }
  return bound;
}

/** `@name` as a command argument (splatting), as the variable's lower-case name; else null. */
function splattedVariable(node: SyntaxNode): string | null {
  let current = node;
  while (current.namedChildren.length === 1 && current.children.length === 1) {
    const only = current.namedChildren[0];
    if (only === null || only === undefined) break;
    current = only;
  }
  if (current.type !== 'variable' || !current.text.startsWith('@')) return null;
  return current.text.slice(1).replace(/^\{/, '').replace(/\}$/, '').toLowerCase();
}

/** Whether `-ErrorAction` (or `$ErrorActionPreference`) silences the command's errors. */
export function isSilent(bound: Params, variables: ReadonlyMap<string, PsValue>): boolean {
  const ea = bound.get('ErrorAction');
  if (ea !== undefined && /^(SilentlyContinue|Ignore)$/i.test(stringify(ea.value))) return true;
  const pref = variables.get('erroractionpreference');
  return ea === undefined && pref !== undefined && /^(SilentlyContinue|Ignore)$/i.test(stringify(pref));
}

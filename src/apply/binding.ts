// PowerShell parameter binding for the cmdlets the dry run knows: names and unambiguous
// prefixes, switches (with `-Switch:$false`), one positional parameter, and the error
// preference that silences a refusal.
import { InputError } from '../errors.js';
import { commandElements, lineOf, type SyntaxNode } from '../powershell/grammar.js';
import { resolveParam, type CmdletSpec } from './cmdlets/specs.js';
import { evaluate, isTruthy, stringify, type EvalContext, type PsValue } from './values.js';

export interface Bound { value: PsValue; node: SyntaxNode | null }
/** A command's bound parameters by canonical name (`extra:Name` for unmodelled ones). */
export type Params = Map<string, Bound>;

/** Binds a command's parameters as PowerShell does (names, prefixes, switches, positionals). */
export function bindParameters(spec: CmdletSpec, command: SyntaxNode, ctx: EvalContext, file: string): Params {
  const fail = (message: string): never => { throw new InputError(file, lineOf(command), message); };
  const bound: Params = new Map();
  const elements = commandElements(command);
  let positionalUsed = false;
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i];
    if (el === undefined) continue;
    if (el.kind === 'parameter') {
      const p = resolveParam(spec, el.name);
      if (p === 'ambiguous') return fail(`${spec.name}: parameter -${el.name} is ambiguous`);
      if (p === null) return fail(`${spec.name}: a parameter cannot be found that matches parameter name '${el.name}'`);
      const next = elements[i + 1];
      if (p.kind === 'switch') {
        if (el.colon && next !== undefined && next.kind === 'argument') {
          bound.set(p.name, { value: isTruthy(evaluate(ctx, next.node)), node: next.node });
          i++;
        } else {
          bound.set(p.name, { value: true, node: el.node });
        }
        continue;
      }
      if (next === undefined || next.kind !== 'argument') return fail(`${spec.name}: missing an argument for parameter -${p.name}`);
      bound.set(p.extra ? `extra:${p.name}` : p.name, { value: evaluate(ctx, next.node), node: next.node });
      i++;
      continue;
    }
    if (positionalUsed || spec.positional === null || bound.has(spec.positional)) {
      fail(`${spec.name}: a positional parameter cannot be found that accepts argument '${el.node.text.slice(0, 40)}'`);
    }
    if (spec.positional !== null) bound.set(spec.positional, { value: evaluate(ctx, el.node), node: el.node });
    positionalUsed = true;
  }
  return bound;
}

/** Whether `-ErrorAction` (or `$ErrorActionPreference`) silences the command's errors. */
export function isSilent(bound: Params, variables: ReadonlyMap<string, PsValue>): boolean {
  const ea = bound.get('ErrorAction');
  if (ea !== undefined && /^(SilentlyContinue|Ignore)$/i.test(stringify(ea.value))) return true;
  const pref = variables.get('erroractionpreference');
  return ea === undefined && pref !== undefined && /^(SilentlyContinue|Ignore)$/i.test(stringify(pref));
}

// The dry run's interpreter: walks a change script's syntax tree statement by statement —
// parameters, assignments, if/elseif/else, pipelines from Get-ReceiveConnector or
// Get-AcceptedDomain, guards — and hands each mutating command to its cmdlet (cmdlets/).
// Whatever it cannot interpret is reported (or skipped with skipUnknown), never guessed.
import { InputError } from '../errors.js';
import type { Snapshot } from '../model.js';
import { commandElements, commandName, lineOf, type SyntaxNode } from '../powershell/grammar.js';
import { principalKey } from '../policy/rights.js';
import { bindParameters, isSilent, type Params } from './binding.js';
import { holdsEntry } from './cmdlets/ad-permission.js';
import { MUTATORS } from './cmdlets/index.js';
import { domainMatches, findConnector } from './cmdlets/lookup.js';
import { connectorDiffers } from './cmdlets/migrate-guards.js';
import { findCmdlet, HARMLESS_COMMANDS, KNOWN_FUNCTIONS, type CmdletSpec } from './cmdlets/specs.js';
import { NotModelled, Refusal, eq } from './coercion.js';
import { aceObjects, connectorObject, domainObject } from './objects.js';
import { FOREACH, WHERE, asItems, innermost, scriptBlockArgument, scriptBlockStatements, variableName } from './syntax.js';
import {
  CannotEvaluate, applyOperator, evaluate, isGrowable, isHash, isObject, isTruthy, readMember, stringify,
  type EvalContext, type PsObject, type PsValue,
} from './values.js';

export interface ApplyOptions {
  /** The script's name as the user gave it (used in every message). */
  file: string;
  /** Skip statements the dry run cannot interpret (each reported as an event) instead of failing. */
  skipUnknown?: boolean;
  /**
   * Tell a command that changed nothing from one that did (default true). Finding out compares
   * the whole configuration before and after each changing command; the fix proofs read only the
   * resulting snapshot and turn it off (each changing command is then reported as `changed`).
   */
  reportUnchanged?: boolean;
}

export type ApplyEventKind = 'changed' | 'unchanged' | 'whatif' | 'skipped' | 'suppressed';
export interface ApplyEvent { line: number; kind: ApplyEventKind; message: string }

/** Commands that only shape or print what reaches them; at the end of a read they change nothing. */
const OUTPUT_ONLY = ['Select-Object', 'select', 'Format-List', 'fl', 'Format-Table', 'ft', 'Sort-Object', 'sort', 'Out-String', 'Measure-Object', 'Out-Host'];

export class Interpreter {
  readonly events: ApplyEvent[] = [];
  private readonly variables = new Map<string, PsValue>();
  private readonly ctx: EvalContext;

  constructor(readonly snap: Snapshot, private readonly options: ApplyOptions) {
    this.ctx = { variables: this.variables, runQuery: (node) => this.query(node) };
  }

  runProgram(root: SyntaxNode): void {
    for (const child of root.namedChildren) {
      if (child === null) continue;
      if (child.type === 'param_block') this.paramBlock(child);
      else if (child.type === 'statement_list') this.runStatements(child);
      else if (child.type !== 'comment') this.runStatement(child);
    }
  }

  /** Script parameters: switches are off and others take their literal default in a dry run. */
  private paramBlock(node: SyntaxNode): void {
    for (const p of node.descendantsOfType('script_parameter')) {
      if (p === null) continue;
      const variable = p.namedChildren.find((c) => c !== null && c.type === 'variable') ?? null;
      if (variable === null) continue;
      const name = variable.text.replace(/^\$/, '').toLowerCase();
      const isSwitch = /\[switch\]/i.test(p.text);
      const defaultNode = p.namedChildren.find((c) => c !== null && c.type === 'script_parameter_default') ?? null;
      let value: PsValue = isSwitch ? false : null;
      if (defaultNode !== null) {
        const expr = defaultNode.namedChildren.find((c) => c !== null) ?? null;
        if (expr !== null) {
          try { value = evaluate(this.ctx, expr); } catch { value = null; }
        }
      }
      this.variables.set(name, value);
    }
  }

  private runStatements(list: SyntaxNode): void {
    for (const stmt of list.namedChildren) if (stmt !== null) this.runStatement(stmt);
  }

  private fail(node: SyntaxNode, message: string): never {
    throw new InputError(this.options.file, lineOf(node), message);
  }

  private unknown(node: SyntaxNode, reason: string): void {
    const text = node.text.split('\n')[0]?.trim().slice(0, 60) ?? '';
    if (this.options.skipUnknown === true) {
      this.events.push({ line: lineOf(node), kind: 'skipped', message: `skipped: ${reason}: ${text}` });
      return;
    }
    this.fail(node, `cannot interpret this statement (${reason}): ${text}`);
  }

  private runStatement(node: SyntaxNode): void {
    try {
      switch (node.type) {
        case 'comment':
        case 'empty_statement':
          return;
        case 'pipeline': {
          const inner = node.namedChildren.find((c) => c !== null) ?? null;
          if (inner === null) return;
          if (inner.type === 'assignment_expression') return this.assign(inner);
          if (inner.type === 'pipeline_chain') return this.pipeline(inner);
          return this.unknown(node, `unsupported ${inner.type.replace(/_/g, ' ')}`);
        }
        case 'if_statement':
          return this.ifStatement(node);
        case 'foreach_statement':
          return this.foreachStatement(node);
        case 'function_statement': {
          const name = node.namedChildren.find((c) => c !== null && c.type === 'function_name')?.text ?? '';
          if (KNOWN_FUNCTIONS.some((f) => eq(f, name))) return;
          return this.unknown(node, `function ${name} is not known to the dry run`);
        }
        default:
          return this.unknown(node, `unsupported ${node.type.replace(/_/g, ' ')}`);
      }
    } catch (error) {
      if (error instanceof CannotEvaluate || error instanceof NotModelled) return this.unknown(node, error.message);
      // A refusal outside a mutating command (e.g. an ambiguous name in a guard) is still bad input.
      if (error instanceof Refusal) this.fail(node, error.message);
      throw error;
    }
  }

  /**
   * `$name = value`, `$name += value`, and the same on a property (`$c.RemoteIPRanges += '10.0.0.5'`)
   * of an object a Get- cmdlet returned or of a hashtable. `-=` is PowerShell's subtraction,
   * which fails on a collection.
   */
  private assign(node: SyntaxNode): void {
    const left = node.namedChildren.find((c) => c !== null && c.type === 'left_assignment_expression') ?? null;
    const op = node.namedChildren.find((c) => c !== null && c.type === 'assignement_operator')?.text ?? '=';
    const value = node.childForFieldName('value');
    if (left === null || value === null) return this.unknown(node, 'an incomplete assignment');
    if (op !== '=' && op !== '+=' && op !== '-=') return this.unknown(node, `the assignment operator ${op}`);
    const target = innermost(left);
    const combine = (current: PsValue, next: PsValue): PsValue => {
      if (op === '=') return next;
      return applyOperator(node, op === '+=' ? '+' : '-', current, next);
    };
    if (target.type === 'variable') {
      const name = variableName(target.text);
      const next = evaluate(this.ctx, value);
      this.variables.set(name, combine(op === '=' ? null : evaluate(this.ctx, target), next));
      return;
    }
    if (target.type === 'member_access') {
      const holder = target.namedChildren[0] ?? null;
      const member = target.namedChildren.find((c) => c !== null && c.type === 'member_name') ?? null;
      if (holder === null || member === null || member.namedChildren[0]?.type !== 'simple_name') {
        return this.unknown(node, 'an assignment to a computed member');
      }
      const owner = evaluate(this.ctx, holder);
      const key = member.text.toLowerCase();
      const next = evaluate(this.ctx, value);
      if (isObject(owner)) {
        const current = op === '=' ? null : readMember(target, owner, member.text);
        owner.props.set(key, combine(current, next));
        return;
      }
      if (isHash(owner)) {
        owner.hash.set(key, combine(op === '=' ? null : (owner.hash.get(key) ?? null), next));
        return;
      }
      return this.unknown(node, `an assignment to a property of ${holder.text}`);
    }
    return this.unknown(node, 'only assignments to a variable or to a property of one are supported');
  }

  /** `foreach ($x in collection) { … }`: the body runs once per element, `$x` left set after the loop. */
  private foreachStatement(node: SyntaxNode): void {
    const variable = node.namedChildren.find((c) => c !== null && c.type === 'variable') ?? null;
    const collection = node.namedChildren.find((c) => c !== null && c.type === 'pipeline') ?? null;
    const body = node.namedChildren.find((c) => c !== null && c.type === 'statement_block') ?? null;
    if (variable === null || collection === null || body === null) return this.unknown(node, 'an incomplete foreach');
    if (/^foreach\s*-/i.test(node.text)) return this.unknown(node, 'foreach -parallel');
    const name = variableName(variable.text);
    for (const item of asItems(evaluate(this.ctx, collection))) {
      this.variables.set(name, item);
      this.block(body);
    }
  }

  private ifStatement(node: SyntaxNode): void {
    const condition = node.childForFieldName('condition');
    if (condition === null) return this.unknown(node, 'if without a condition');
    if (isTruthy(evaluate(this.ctx, condition))) {
      const block = node.namedChildren.find((c) => c !== null && c.type === 'statement_block') ?? null;
      if (block !== null) this.block(block);
      return;
    }
    const elseifs = node.namedChildren.find((c) => c !== null && c.type === 'elseif_clauses') ?? null;
    for (const clause of elseifs?.namedChildren ?? []) {
      if (clause === null) continue;
      const cond = clause.childForFieldName('condition');
      if (cond !== null && isTruthy(evaluate(this.ctx, cond))) {
        const block = clause.namedChildren.find((c) => c !== null && c.type === 'statement_block') ?? null;
        if (block !== null) this.block(block);
        return;
      }
    }
    const elseClause = node.namedChildren.find((c) => c !== null && c.type === 'else_clause') ?? null;
    const elseBlock = elseClause?.namedChildren.find((c) => c !== null && c.type === 'statement_block') ?? null;
    if (elseBlock !== null && elseBlock !== undefined) this.block(elseBlock);
  }

  private block(block: SyntaxNode): void {
    const list = block.namedChildren.find((c) => c !== null && c.type === 'statement_list') ?? null;
    if (list !== null) this.runStatements(list);
  }

  /**
   * A pipeline: objects flow from its first stage (a Get- cmdlet, or values) through
   * Where-Object filters and Get-ADPermission to the last stage, a cmdlet that takes each as
   * pipeline input or a ForEach-Object block that runs once per object.
   */
  private pipeline(chain: SyntaxNode): void {
    const parts = chain.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');
    if (parts.length === 0) return;
    // `… | Out-Null` and similar only hide output.
    const stages = parts.filter((p, i) => !(i > 0 && p.type === 'command' && eq(commandName(p), 'Out-Null')));
    const [first, ...rest] = stages;
    if (first === undefined) return;
    if (rest.length === 0) {
      if (first.type === 'command') return this.command(first, undefined);
      const method = innermost(first);
      if (method.type === 'invokation_expression') return this.methodStatement(method);
      evaluate(this.ctx, first); // an expression statement only prints its value
      return;
    }
    // A pipeline that only reads and prints (`… | Select-Object -ExpandProperty RemoteIPRanges`,
    // `| Format-List`) changes nothing; its source still fails as the cmdlet would.
    const last = rest[rest.length - 1];
    if (last !== undefined && last.type === 'command' && OUTPUT_ONLY.some((o) => eq(o, commandName(last)))
      && rest.slice(0, -1).every((st) => st.type === 'command' && [...WHERE, 'Get-ADPermission', ...OUTPUT_ONLY].some((o) => eq(o, commandName(st))))) {
      if (first.type === 'command') this.source(first, chain);
      return;
    }
    let items: PsValue[] = first.type === 'command' ? this.source(first, chain) : asItems(evaluate(this.ctx, first));
    for (let i = 0; i < rest.length; i++) {
      const stage = rest[i];
      if (stage === undefined) continue;
      const last = i === rest.length - 1;
      if (stage.type !== 'command') return this.unknown(chain, 'an expression after a pipe');
      const name = commandName(stage);
      if (WHERE.some((w) => eq(w, name))) {
        items = items.filter((item) => this.filter(stage, item));
      } else if (FOREACH.some((f) => eq(f, name))) {
        if (!last) return this.unknown(chain, `${name} before another pipeline stage (its output is not modelled)`);
        const body = scriptBlockArgument(stage, 'Process');
        if (body === null) return this.unknown(stage, `${name} without a single script block`);
        for (const item of items) this.withItem(item, () => { this.runScriptBlock(body); });
      } else if (eq(name, 'Get-ADPermission')) {
        items = items.flatMap((item) => this.aclOf(stage, item));
      } else if (last) {
        for (const item of items) this.command(stage, item);
      } else {
        return this.unknown(chain, `${name} in the middle of a pipeline`);
      }
    }
  }

  /** A pipeline used as a value: its objects after Where-Object and Get-ADPermission stages. */
  private valuePipeline(chain: SyntaxNode): PsValue[] {
    const [first, ...rest] = chain.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');
    if (first === undefined) return [];
    let items: PsValue[] = first.type === 'command' ? this.source(first, chain) : asItems(evaluate(this.ctx, first));
    for (const stage of rest) {
      const name = stage.type === 'command' ? commandName(stage) : '';
      if (WHERE.some((w) => eq(w, name))) items = items.filter((item) => this.filter(stage, item));
      else if (eq(name, 'Get-ADPermission')) items = items.flatMap((item) => this.aclOf(stage, item));
      else throw new CannotEvaluate(chain, `${name === '' ? 'an expression' : name} in a pipeline used as a value`);
    }
    return items;
  }

  /** The objects the first command of a pipeline writes. */
  private source(command: SyntaxNode, chain: SyntaxNode): PsValue[] {
    const name = commandName(command);
    const spec = findCmdlet(name);
    if (spec === undefined || !['Get-ReceiveConnector', 'Get-AcceptedDomain', 'Get-ADPermission'].some((g) => eq(g, spec.name))) {
      throw new CannotEvaluate(chain, `a pipeline from ${name}`);
    }
    return this.getObjects(command, false);
  }

  /** The entries Get-ADPermission writes for a connector piped into it. */
  private aclOf(stage: SyntaxNode, item: PsValue): PsValue[] {
    const spec = this.spec(stage);
    const bound = bindParameters(spec, stage, this.ctx, this.options.file);
    if (bound.has('Identity')) this.fail(stage, 'Get-ADPermission: -Identity given as well as pipeline input');
    const identity = isObject(item) && item.origin !== undefined ? item.origin.identity : stringify(item);
    const c = findConnector(this.snap, identity);
    if (c === null) this.fail(stage, `Get-ADPermission: couldn't find "${identity}"`);
    return this.filterByUser(aceObjects(this.snap, c), bound);
  }

  /** Get-ADPermission -User NAME keeps the entries of that principal. */
  private filterByUser(aces: PsObject[], bound: Params): PsObject[] {
    const user = bound.get('User');
    if (user === undefined) return aces;
    const key = principalKey(stringify(user.value));
    return aces.filter((a) => a.origin?.kind === 'ace' && principalKey(a.origin.user) === key);
  }

  /** Where-Object: `{ script block }`, `-FilterScript { … }`, or `Property -Operator Value`. */
  private filter(stage: SyntaxNode, item: PsValue): boolean {
    const block = scriptBlockArgument(stage, 'FilterScript');
    if (block !== null) {
      const statements = scriptBlockStatements(block);
      const only = statements[0];
      if (statements.length !== 1 || only === undefined) throw new CannotEvaluate(stage, 'a Where-Object block that is not one expression');
      return this.withItem(item, () => isTruthy(evaluate(this.ctx, only)));
    }
    return this.withItem(item, () => this.simplifiedWhere(stage, item));
  }

  /**
   * `Where-Object User -like '*ANONYMOUS*'` (PowerShell 3's comparison statement). Only on
   * single-valued properties: how it treats a collection is not established here.
   */
  private simplifiedWhere(stage: SyntaxNode, item: PsValue): boolean {
    const elements = commandElements(stage);
    let property: string | null = null;
    let operator: string | null = null;
    let value: PsValue = true;
    let hasValue = false;
    for (let i = 0; i < elements.length; i++) {
      const el = elements[i];
      if (el === undefined) continue;
      const next = elements[i + 1];
      if (el.kind === 'parameter') {
        if (/^property$/i.test(el.name) && next?.kind === 'argument') { property = stringify(evaluate(this.ctx, next.node)); i++; continue; }
        if (/^value$/i.test(el.name) && next?.kind === 'argument') { value = evaluate(this.ctx, next.node); hasValue = true; i++; continue; }
        if (operator !== null) throw new CannotEvaluate(stage, `Where-Object with -${operator} and -${el.name}`);
        operator = el.name;
        continue;
      }
      if (property === null) property = stringify(evaluate(this.ctx, el.node));
      else if (!hasValue) { value = evaluate(this.ctx, el.node); hasValue = true; }
      else throw new CannotEvaluate(stage, 'Where-Object with more arguments than property and value');
    }
    if (property === null) throw new CannotEvaluate(stage, 'Where-Object without a filter');
    const current = readMember(stage, item, property);
    if (operator === null) return isTruthy(current);
    if (Array.isArray(current)) throw new CannotEvaluate(stage, `Where-Object ${property} -${operator}: ${property} is a collection`);
    return isTruthy(applyOperator(stage, `-${operator}`, current, value));
  }

  /** Runs `work` with `$_` (and `$PSItem`) set to the pipeline object, restoring them after. */
  private withItem<T>(item: PsValue, work: () => T): T {
    const saved = [this.variables.get('_'), this.variables.get('psitem')];
    const had = [this.variables.has('_'), this.variables.has('psitem')];
    this.variables.set('_', item);
    this.variables.set('psitem', item);
    try {
      return work();
    } finally {
      if (had[0] === true) this.variables.set('_', saved[0] ?? null); else this.variables.delete('_');
      if (had[1] === true) this.variables.set('psitem', saved[1] ?? null); else this.variables.delete('psitem');
    }
  }

  /** A ForEach-Object block runs in the script's scope, statement by statement. */
  private runScriptBlock(block: SyntaxNode): void {
    for (const statement of scriptBlockStatements(block)) this.runStatement(statement);
  }

  /**
   * `$c.RemoteIPRanges.Add('10.0.0.5')` as a statement. Collections Exchange hands over grow;
   * a script's own array is fixed-size, so .Add fails as it does in PowerShell. `.Remove()`
   * compares with the collection's own equality, which for an IPRange held deserialized is not
   * established: not interpreted.
   */
  private methodStatement(node: SyntaxNode): void {
    const [target, member] = node.namedChildren;
    const argsList = node.namedChildren.find((c) => c !== null && c.type === 'argument_list') ?? null;
    if (target === null || target === undefined || member === null || member === undefined || member.type !== 'member_name') {
      return this.unknown(node, 'a method call');
    }
    const method = member.text.toLowerCase();
    if (method === 'tostring') { evaluate(this.ctx, node); return; }
    if (method !== 'add') return this.unknown(node, `the method call .${member.text}() (its effect on Exchange's collection is not established)`);
    const list = argsList?.namedChildren.find((c) => c !== null && c.type === 'argument_expression_list') ?? null;
    const args = list?.namedChildren.filter((a): a is SyntaxNode => a !== null && a.type === 'argument_expression') ?? [];
    const only = args[0];
    if (args.length !== 1 || only === undefined) return this.unknown(node, '.Add() with other than one argument');
    const collection = evaluate(this.ctx, target);
    if (!Array.isArray(collection)) return this.unknown(node, `.Add() on ${target.text}, which is not a collection the dry run holds`);
    if (!isGrowable(collection)) {
      this.fail(node, 'PowerShell fails here: "Collection was of a fixed size" (.Add() on an array the script built; use += or -RemoteIPRanges @{Add=…})');
    }
    collection.push(evaluate(this.ctx, only));
  }

  /** What a cmdlet binds from its pipeline input: a connector or domain's identity, or an ACL entry. */
  private bindPipelineInput(spec: CmdletSpec, bound: Params, node: SyntaxNode, piped: PsValue): void {
    const origin = isObject(piped) ? piped.origin : undefined;
    if (origin?.kind === 'ace') {
      if (!eq(spec.name, 'Remove-ADPermission')) throw new CannotEvaluate(node, `${spec.name} with an ACL entry as pipeline input`);
      for (const p of ['Identity', 'User', 'ExtendedRights', 'Deny', 'Instance', 'AccessRights']) {
        if (bound.has(p)) throw new CannotEvaluate(node, `Remove-ADPermission with a piped entry and -${p}`);
      }
      // UNSURE: what Remove-ADPermission does with an inherited entry (it lives on a parent
      // object) is not established, so the dry run does not claim it.
      if (origin.inherited) throw new NotModelled(`removing the inherited entry of ${origin.user} (${origin.rights.join(', ')}): what Exchange does with it is not established`);
      bound.set('Identity', { value: origin.identity, node: null });
      bound.set('User', { value: origin.user, node: null });
      bound.set('ExtendedRights', { value: [...origin.rights], node: null });
      bound.set('Deny', { value: origin.deny, node: null });
      return;
    }
    if (bound.has('Identity')) this.fail(node, `${spec.name}: -Identity given as well as pipeline input`);
    bound.set('Identity', { value: origin !== undefined ? origin.identity : stringify(piped), node: null });
  }

  /** The objects `Get-ReceiveConnector`/`Get-AcceptedDomain`/`Get-ADPermission` return (errors unless silenced). */
  private getObjects(command: SyntaxNode, asValue: boolean): PsObject[] {
    const spec = this.spec(command);
    const bound = bindParameters(spec, command, this.ctx, this.options.file);
    const silent = isSilent(bound, this.variables);
    const id = bound.get('Identity');
    if (eq(spec.name, 'Get-AcceptedDomain')) {
      const all = id === undefined ? this.snap.acceptedDomains : this.snap.acceptedDomains.filter((d) => domainMatches(d, stringify(id.value)));
      if (all.length === 0 && id !== undefined && !silent && !asValue) this.fail(command, `Get-AcceptedDomain: couldn't find accepted domain "${stringify(id.value)}"`);
      return all.map(domainObject);
    }
    if (eq(spec.name, 'Get-ADPermission')) {
      if (id === undefined) throw new CannotEvaluate(command, 'Get-ADPermission without -Identity');
      const c = findConnector(this.snap, stringify(id.value));
      if (c === null) {
        if (silent) return [];
        this.fail(command, `Get-ADPermission: couldn't find "${stringify(id.value)}" (only receive connectors are modelled)`);
      }
      return this.filterByUser(aceObjects(this.snap, c), bound);
    }
    const serverParam = bound.get('Server');
    if (id !== undefined) {
      const found = findConnector(this.snap, stringify(id.value));
      if (found === null) {
        if (silent || asValue) return [];
        this.fail(command, `Get-ReceiveConnector: couldn't find receive connector "${stringify(id.value)}"`);
      }
      return [connectorObject(found)];
    }
    if (serverParam !== undefined) {
      return this.snap.connectors.filter((c) => eq(c.server, stringify(serverParam.value))).map(connectorObject);
    }
    return this.snap.connectors.map(connectorObject);
  }

  private spec(command: SyntaxNode): CmdletSpec {
    const name = commandName(command);
    const spec = findCmdlet(name);
    if (spec === undefined) throw new CannotEvaluate(command, `${name === '' ? 'this command' : name} is not a command the dry run knows`);
    return spec;
  }

  /** Guards: commands used as values in conditions. */
  private query(node: SyntaxNode): PsValue {
    if (node.type === 'pipeline_chain') {
      const out = this.valuePipeline(node);
      return out.length === 0 ? null : out.length === 1 ? (out[0] ?? null) : out;
    }
    if (node.type !== 'command') throw new CannotEvaluate(node, 'a pipeline inside a condition');
    const spec = this.spec(node);
    if (spec.mutates) throw new CannotEvaluate(node, `${spec.name} inside an expression`);
    const bound = bindParameters(spec, node, this.ctx, this.options.file);
    if (eq(spec.name, 'Test-ExrelayPermission')) {
      const identity = stringify(bound.get('Identity')?.value ?? null);
      const user = stringify(bound.get('User')?.value ?? null);
      const right = stringify(bound.get('ExtendedRight')?.value ?? null);
      const deny = isTruthy(bound.get('Deny')?.value ?? false);
      const c = findConnector(this.snap, identity);
      return c === null ? false : holdsEntry(this.snap, c, user, right, deny);
    }
    // The guards `exrelay migrate` defines (templates/partials/migrate-functions.hbs).
    if (eq(spec.name, 'Test-ExrelayConnector')) return findConnector(this.snap, stringify(bound.get('Identity')?.value ?? null)) !== null;
    if (eq(spec.name, 'Test-ExrelayMark')) {
      const c = findConnector(this.snap, stringify(bound.get('Identity')?.value ?? null));
      const comment = c?.extra?.['Comment'];
      return typeof comment === 'string' && comment.includes(stringify(bound.get('Mark')?.value ?? null));
    }
    if (eq(spec.name, 'Get-ReceiveConnector') || eq(spec.name, 'Get-AcceptedDomain') || eq(spec.name, 'Get-ADPermission')) {
      const found = this.getObjects(node, true);
      // A single object comes back as itself, none as $null (PowerShell unrolls the output).
      return found.length === 0 ? null : found.length === 1 ? (found[0] ?? null) : found;
    }
    throw new CannotEvaluate(node, `${spec.name} inside an expression`);
  }

  private command(node: SyntaxNode, piped: PsValue | undefined): void {
    const name = commandName(node);
    if (HARMLESS_COMMANDS.some((h) => eq(h, name))) return;
    const spec = this.spec(node);
    const bound = bindParameters(spec, node, this.ctx, this.options.file);
    if (piped !== undefined) this.bindPipelineInput(spec, bound, node, piped);
    const line = lineOf(node);
    if (spec.mutates && isTruthy(bound.get('WhatIf')?.value ?? false)) {
      this.events.push({ line, kind: 'whatif', message: `${spec.name} with -WhatIf changes nothing` });
      return;
    }
    if (eq(spec.name, 'Assert-ExrelayConnector')) {
      let problem: string | null;
      try { problem = connectorDiffers(this.snap, bound); } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        problem = error.message;
      }
      if (problem !== null) this.fail(node, `Assert-ExrelayConnector: ${problem}`);
      return;
    }
    if (!spec.mutates) return;
    const state = (): string | null => (this.options.reportUnchanged === false ? null : JSON.stringify([this.snap.connectors, this.snap.permissions, this.snap.acceptedDomains]));
    const before = state();
    try {
      const mutator = MUTATORS[spec.name];
      if (mutator === undefined) throw new Refusal(`${spec.name} is not supported`);
      const message = mutator(this.snap, bound);
      const after = state();
      this.events.push({ line, kind: before !== null && before === after ? 'unchanged' : 'changed', message });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      if (isSilent(bound, this.variables)) {
        this.events.push({ line, kind: 'suppressed', message: `${spec.name}: ${error.message} (silenced by -ErrorAction)` });
        return;
      }
      this.fail(node, `${spec.name}: ${error.message}`);
    }
  }
}

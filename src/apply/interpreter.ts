// The dry run's interpreter: walks a change script's syntax tree statement by statement —
// parameters, assignments, if/elseif/else, pipelines from Get-ReceiveConnector or
// Get-AcceptedDomain, guards — and hands each mutating command to its cmdlet (cmdlets/).
// Whatever it cannot interpret is reported (or skipped with skipUnknown), never guessed.
import { InputError } from '../errors.js';
import type { Snapshot } from '../model.js';
import { commandName, lineOf, type SyntaxNode } from '../powershell/grammar.js';
import { bindParameters, isSilent } from './binding.js';
import { holdsEntry } from './cmdlets/ad-permission.js';
import { MUTATORS } from './cmdlets/index.js';
import { domainMatches, findConnector } from './cmdlets/lookup.js';
import { connectorDiffers } from './cmdlets/migrate-guards.js';
import { findCmdlet, HARMLESS_COMMANDS, KNOWN_FUNCTIONS, type CmdletSpec } from './cmdlets/specs.js';
import { NotModelled, Refusal, eq } from './coercion.js';
import {
  CannotEvaluate, evaluate, isTruthy, stringify, type EvalContext, type PsValue,
} from './values.js';

export interface ApplyOptions {
  /** The script's name as the user gave it (used in every message). */
  file: string;
  /** Skip statements the dry run cannot interpret (each reported as an event) instead of failing. */
  skipUnknown?: boolean;
}

export type ApplyEventKind = 'changed' | 'unchanged' | 'whatif' | 'skipped' | 'suppressed';
export interface ApplyEvent { line: number; kind: ApplyEventKind; message: string }

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

  private assign(node: SyntaxNode): void {
    const left = node.namedChildren.find((c) => c !== null && c.type === 'left_assignment_expression') ?? null;
    const op = node.namedChildren.find((c) => c !== null && c.type === 'assignement_operator')?.text ?? '=';
    const value = node.childForFieldName('value');
    const variables = left?.descendantsOfType('variable') ?? [];
    const variable = variables[0] ?? null;
    if (left === null || value === null || variables.length !== 1 || variable === null || op !== '=') {
      return this.unknown(node, 'only `$name = literal` assignments are supported');
    }
    const name = variable.text.replace(/^\$\{?/, '').replace(/\}$/, '').replace(/^(script|global|local):/i, '').toLowerCase();
    this.variables.set(name, evaluate(this.ctx, value));
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

  private pipeline(chain: SyntaxNode): void {
    const parts = chain.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');
    if (parts.length === 0) return;
    if (!parts.every((p) => p.type === 'command')) {
      if (parts.length === 1 && parts[0] !== undefined) {
        evaluate(this.ctx, parts[0]); // an expression statement only prints its value
        return;
      }
      return this.unknown(chain, 'a pipeline mixing commands and expressions');
    }
    // `… | Out-Null` and similar only hide output.
    const commands = parts.filter((p, i) => !(i > 0 && eq(commandName(p), 'Out-Null')));
    const [first, second, ...rest] = commands;
    if (first === undefined) return;
    if (second === undefined) return this.command(first, null);
    if (rest.length > 0) return this.unknown(chain, 'a pipeline of more than two commands');
    const source = commandName(first);
    if (!eq(source, 'Get-ReceiveConnector') && !eq(source, 'Get-AcceptedDomain')) {
      return this.unknown(chain, `a pipeline from ${source}`);
    }
    const targets = this.getObjects(first);
    for (const identity of targets) this.command(second, identity);
  }

  /** Identities `Get-ReceiveConnector`/`Get-AcceptedDomain` return (errors unless silenced). */
  private getObjects(command: SyntaxNode): string[] {
    const spec = this.spec(command);
    const bound = bindParameters(spec, command, this.ctx, this.options.file);
    const silent = isSilent(bound, this.variables);
    if (eq(spec.name, 'Get-AcceptedDomain')) {
      const id = bound.get('Identity');
      const all = id === undefined ? this.snap.acceptedDomains : this.snap.acceptedDomains.filter((d) => domainMatches(d, stringify(id.value)));
      if (all.length === 0 && !silent) this.fail(command, `Get-AcceptedDomain: couldn't find accepted domain "${stringify(id?.value ?? null)}"`);
      return all.map((d) => d.domainName);
    }
    const id = bound.get('Identity');
    const serverParam = bound.get('Server');
    if (id !== undefined) {
      const found = findConnector(this.snap, stringify(id.value));
      if (found === null) {
        if (silent) return [];
        this.fail(command, `Get-ReceiveConnector: couldn't find receive connector "${stringify(id.value)}"`);
      }
      return [found.identity];
    }
    if (serverParam !== undefined) {
      return this.snap.connectors.filter((c) => eq(c.server, stringify(serverParam.value))).map((c) => c.identity);
    }
    return this.snap.connectors.map((c) => c.identity);
  }

  private spec(command: SyntaxNode): CmdletSpec {
    const name = commandName(command);
    const spec = findCmdlet(name);
    if (spec === undefined) throw new CannotEvaluate(command, `${name === '' ? 'this command' : name} is not a command the dry run knows`);
    return spec;
  }

  /** Guards: commands used as values in conditions. */
  private query(node: SyntaxNode): PsValue {
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
    if (eq(spec.name, 'Get-ReceiveConnector')) {
      const id = bound.get('Identity');
      if (id === undefined) return this.snap.connectors.map((c) => c.identity);
      return findConnector(this.snap, stringify(id.value))?.identity ?? null;
    }
    if (eq(spec.name, 'Get-AcceptedDomain')) {
      const id = bound.get('Identity');
      if (id === undefined) return this.snap.acceptedDomains.map((d) => d.domainName);
      return this.snap.acceptedDomains.find((d) => domainMatches(d, stringify(id.value)))?.domainName ?? null;
    }
    throw new CannotEvaluate(node, `${spec.name} inside an expression`);
  }

  private command(node: SyntaxNode, piped: string | null): void {
    const name = commandName(node);
    if (HARMLESS_COMMANDS.some((h) => eq(h, name))) return;
    const spec = this.spec(node);
    const bound = bindParameters(spec, node, this.ctx, this.options.file);
    if (piped !== null) {
      if (bound.has('Identity')) this.fail(node, `${spec.name}: -Identity given as well as pipeline input`);
      bound.set('Identity', { value: piped, node: null });
    }
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
    const before = JSON.stringify([this.snap.connectors, this.snap.permissions, this.snap.acceptedDomains]);
    try {
      const mutator = MUTATORS[spec.name];
      if (mutator === undefined) throw new Refusal(`${spec.name} is not supported`);
      const message = mutator(this.snap, bound);
      const after = JSON.stringify([this.snap.connectors, this.snap.permissions, this.snap.acceptedDomains]);
      this.events.push({ line, kind: before === after ? 'unchanged' : 'changed', message });
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

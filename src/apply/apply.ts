// `exrelay apply`: a dry run of a PowerShell change script against a snapshot. The script is read
// with the real PowerShell grammar; each statement is interpreted as Exchange would carry it out
// (including what Exchange refuses: reference §3.2 and §4.4), and the resulting snapshot is
// returned. Pure: text in, snapshot out; the CLI reads and writes the files.
import { InputError } from '../errors.js';
import {
  AUTH_MECHANISMS, DOMAIN_TYPES, PERMISSION_GROUPS, PROTOCOL_LOGGING_LEVELS, TRANSPORT_ROLES,
  type AcceptedDomain, type AuthMechanism, type Binding, type IpRange, type Permission, type PermissionGroup,
  type ReceiveConnector, type Snapshot,
} from '../model.js';
import type { JsonValue } from '../json.js';
import {
  commandElements, commandName, lineOf, parsePowerShell, type SyntaxNode,
} from '../powershell/grammar.js';
import { canonicalRight } from '../policy/rights.js';
import { addRight, removeRight, setGroups, recomputeCustom } from './acl.js';
import { parseBinding, parseRange, sameBinding, sameRange } from '../net/index.js';
import { findCmdlet, HARMLESS_COMMANDS, KNOWN_FUNCTIONS, resolveParam, type CmdletSpec } from './cmdlets.js';
import { normaliseCommaLists } from './normalise.js';
import { authMechanismProblems, bannerProblem, conflictWith, tlsCertificateNameProblem } from './validate.js';
import {
  CannotEvaluate, evaluate, isHash, isTruthy, stringify, toStringList, type EvalContext, type PsValue,
} from './values.js';

export interface ApplyOptions {
  /** The script's name as the user gave it (used in every message). */
  file: string;
  /** Skip statements the dry run cannot interpret (each reported as an event) instead of failing. */
  skipUnknown?: boolean;
}

export type ApplyEventKind = 'changed' | 'unchanged' | 'whatif' | 'skipped' | 'suppressed';
export interface ApplyEvent { line: number; kind: ApplyEventKind; message: string }

export interface ApplyResult {
  snapshot: Snapshot;
  events: ApplyEvent[];
  /** Number of statements that changed the configuration. */
  changed: number;
}

/** What Exchange (or PowerShell) refuses at run time; reported with the statement's line. */
class Refusal extends Error {}

/** Parses (after normalising bare comma lists) and applies a change script. */
export async function applyScript(snapshot: Snapshot, text: string, options: ApplyOptions): Promise<ApplyResult> {
  const normalised = normaliseCommaLists(text.replace(/^\uFEFF/, ''));
  const parsed = await parsePowerShell(normalised.text);
  try {
    const first = parsed.errors[0];
    if (first !== undefined) {
      throw new InputError(options.file, first.line, `PowerShell syntax error near "${first.text}"`);
    }
    return applyTree(snapshot, parsed.tree.rootNode, options);
  } finally {
    parsed.tree.delete();
  }
}

/** Applies an already parsed script (the grammar's root node). */
export function applyTree(snapshot: Snapshot, root: SyntaxNode, options: ApplyOptions): ApplyResult {
  const runner = new Runner(structuredClone(snapshot), options);
  runner.runProgram(root);
  return { snapshot: runner.snap, events: runner.events, changed: runner.events.filter((e) => e.kind === 'changed').length };
}

interface Bound { value: PsValue; node: SyntaxNode | null }

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

interface UsageTemplate {
  groups: PermissionGroup[];
  auth: AuthMechanism[];
  bindings: 'required' | 'forbidden' | Binding[];
  ranges: 'required' | 'forbidden' | IpRange[];
}

// Reference §1.7. "forbidden"/"required" are what New-ReceiveConnector checks for each usage.
const USAGES: Record<string, UsageTemplate> = {
  Client: { groups: ['ExchangeUsers'], auth: ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'], bindings: [{ address: '0.0.0.0', port: 587 }], ranges: 'required' },
  Custom: { groups: [], auth: ['Tls'], bindings: 'required', ranges: 'required' },
  Internal: { groups: ['ExchangeServers', 'ExchangeLegacyServers'], auth: ['Tls', 'ExchangeServer'], bindings: [{ address: '0.0.0.0', port: 25 }], ranges: 'required' },
  Internet: { groups: ['AnonymousUsers'], auth: ['Tls'], bindings: 'required', ranges: [{ expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' }] },
  Partner: { groups: ['Partners'], auth: ['Tls'], bindings: 'required', ranges: 'required' },
};
const USAGE_SWITCHES = ['Client', 'Custom', 'Internal', 'Internet', 'Partner'];

function orderFlags<T extends string>(all: readonly T[], values: Iterable<T>): T[] {
  const set = new Set(values);
  return all.filter((v) => set.has(v));
}

class Runner {
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
      if (error instanceof CannotEvaluate) return this.unknown(node, error.message);
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
    const bound = this.bind(spec, command);
    const silent = this.isSilent(bound);
    if (eq(spec.name, 'Get-AcceptedDomain')) {
      const id = bound.get('Identity');
      const all = id === undefined ? this.snap.acceptedDomains : this.snap.acceptedDomains.filter((d) => this.domainMatches(d, stringify(id.value)));
      if (all.length === 0 && !silent) this.fail(command, `Get-AcceptedDomain: couldn't find accepted domain "${stringify(id?.value ?? null)}"`);
      return all.map((d) => d.domainName);
    }
    const id = bound.get('Identity');
    const serverParam = bound.get('Server');
    if (id !== undefined) {
      const found = this.findConnector(stringify(id.value));
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

  /** Binds a command's parameters as PowerShell does (names, prefixes, switches, positionals). */
  private bind(spec: CmdletSpec, command: SyntaxNode): Map<string, Bound> {
    const bound = new Map<string, Bound>();
    const elements = commandElements(command);
    let positionalUsed = false;
    for (let i = 0; i < elements.length; i++) {
      const el = elements[i];
      if (el === undefined) continue;
      if (el.kind === 'parameter') {
        const p = resolveParam(spec, el.name);
        if (p === 'ambiguous') this.fail(command, `${spec.name}: parameter -${el.name} is ambiguous`);
        if (p === null) this.fail(command, `${spec.name}: a parameter cannot be found that matches parameter name '${el.name}'`);
        const next = elements[i + 1];
        if (p.kind === 'switch') {
          if (el.colon && next !== undefined && next.kind === 'argument') {
            bound.set(p.name, { value: isTruthy(evaluate(this.ctx, next.node)), node: next.node });
            i++;
          } else {
            bound.set(p.name, { value: true, node: el.node });
          }
          continue;
        }
        if (next === undefined || next.kind !== 'argument') this.fail(command, `${spec.name}: missing an argument for parameter -${p.name}`);
        bound.set(p.extra ? `extra:${p.name}` : p.name, { value: evaluate(this.ctx, next.node), node: next.node });
        i++;
        continue;
      }
      if (positionalUsed || spec.positional === null || bound.has(spec.positional)) {
        this.fail(command, `${spec.name}: a positional parameter cannot be found that accepts argument '${el.node.text.slice(0, 40)}'`);
      }
      bound.set(spec.positional, { value: evaluate(this.ctx, el.node), node: el.node });
      positionalUsed = true;
    }
    return bound;
  }

  private isSilent(bound: Map<string, Bound>): boolean {
    const ea = bound.get('ErrorAction');
    if (ea !== undefined && /^(SilentlyContinue|Ignore)$/i.test(stringify(ea.value))) return true;
    const pref = this.variables.get('erroractionpreference');
    return ea === undefined && pref !== undefined && /^(SilentlyContinue|Ignore)$/i.test(stringify(pref));
  }

  /** Guards: commands used as values in conditions. */
  private query(node: SyntaxNode): PsValue {
    if (node.type !== 'command') throw new CannotEvaluate(node, 'a pipeline inside a condition');
    const spec = this.spec(node);
    if (spec.mutates) throw new CannotEvaluate(node, `${spec.name} inside an expression`);
    const bound = this.bind(spec, node);
    if (eq(spec.name, 'Test-ExrelayPermission')) {
      const identity = stringify(bound.get('Identity')?.value ?? null);
      const user = stringify(bound.get('User')?.value ?? null);
      const right = stringify(bound.get('ExtendedRight')?.value ?? null);
      const deny = isTruthy(bound.get('Deny')?.value ?? false);
      const c = this.findConnector(identity);
      return c === null ? false : this.holdsEntry(c, user, right, deny);
    }
    // The guards `exrelay migrate` defines (templates/partials/migrate-functions.hbs).
    if (eq(spec.name, 'Test-ExrelayConnector')) return this.findConnector(stringify(bound.get('Identity')?.value ?? null)) !== null;
    if (eq(spec.name, 'Test-ExrelayMark')) {
      const c = this.findConnector(stringify(bound.get('Identity')?.value ?? null));
      const comment = c?.extra?.['Comment'];
      return typeof comment === 'string' && comment.includes(stringify(bound.get('Mark')?.value ?? null));
    }
    if (eq(spec.name, 'Get-ReceiveConnector')) {
      const id = bound.get('Identity');
      if (id === undefined) return this.snap.connectors.map((c) => c.identity);
      return this.findConnector(stringify(id.value))?.identity ?? null;
    }
    if (eq(spec.name, 'Get-AcceptedDomain')) {
      const id = bound.get('Identity');
      if (id === undefined) return this.snap.acceptedDomains.map((d) => d.domainName);
      return this.snap.acceptedDomains.find((d) => this.domainMatches(d, stringify(id.value)))?.domainName ?? null;
    }
    throw new CannotEvaluate(node, `${spec.name} inside an expression`);
  }

  /** Whether the connector's ACL holds the entry: explicitly, or through its groups. */
  private holdsEntry(c: ReceiveConnector, user: string, right: string, deny: boolean): boolean {
    const explicit = this.snap.permissions.some((p) => eq(p.identity, c.identity) && !p.inherited && p.deny === deny && eq(p.user, user)
      && p.extendedRights.some((r) => eq(r, right)));
    if (explicit) return true;
    // addRight refuses nothing it would not add: ask it on a scratch copy.
    const scratch = structuredClone(c);
    return !addRight(scratch, [], user, right, deny);
  }

  private command(node: SyntaxNode, piped: string | null): void {
    const name = commandName(node);
    if (HARMLESS_COMMANDS.some((h) => eq(h, name))) return;
    const spec = this.spec(node);
    const bound = this.bind(spec, node);
    if (piped !== null) {
      if (bound.has('Identity')) this.fail(node, `${spec.name}: -Identity given as well as pipeline input`);
      bound.set('Identity', { value: piped, node: null });
    }
    const line = lineOf(node);
    if (spec.mutates && isTruthy(bound.get('WhatIf')?.value ?? false)) {
      this.events.push({ line, kind: 'whatif', message: `${spec.name} with -WhatIf changes nothing` });
      return;
    }
    if (eq(spec.name, 'Assert-ExrelayConnector')) return this.assertConnector(node, bound);
    if (!spec.mutates) return;
    const before = JSON.stringify([this.snap.connectors, this.snap.permissions, this.snap.acceptedDomains]);
    try {
      const message = this.mutate(spec.name, bound);
      const after = JSON.stringify([this.snap.connectors, this.snap.permissions, this.snap.acceptedDomains]);
      this.events.push({ line, kind: before === after ? 'unchanged' : 'changed', message });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      if (this.isSilent(bound)) {
        this.events.push({ line, kind: 'suppressed', message: `${spec.name}: ${error.message} (silenced by -ErrorAction)` });
        return;
      }
      this.fail(node, `${spec.name}: ${error.message}`);
    }
  }

  /** `exrelay migrate`'s read-back check: what the script created must be what it meant to create. */
  private assertConnector(node: SyntaxNode, b: Map<string, Bound>): void {
    const identity = stringify(b.get('Identity')?.value ?? null);
    const c = this.findConnector(identity);
    if (c === null) this.fail(node, `Assert-ExrelayConnector: ${identity} was not found after it was created`);
    const mark = stringify(b.get('Mark')?.value ?? null);
    const comment = c.extra?.['Comment'];
    if (!(typeof comment === 'string' && comment.includes(mark))) this.fail(node, `Assert-ExrelayConnector: ${identity} exists but its Comment lacks ${mark}`);
    const problems: string[] = [];
    const role = b.get('TransportRole');
    if (role !== undefined && c.transportRole !== null && !eq(c.transportRole, stringify(role.value))) problems.push(`TransportRole ${c.transportRole}`);
    const bindings = b.get('Bindings');
    if (bindings !== undefined) {
      const wanted = toStringList(bindings.value).map(this.parseBindingText);
      if (wanted.length !== c.bindings.length || !wanted.every((w) => c.bindings.some((x) => sameBinding(x, w)))) problems.push('Bindings');
    }
    const count = b.get('RemoteIPRangeCount');
    if (count !== undefined && Number(stringify(count.value)) !== c.remoteIPRanges.length) problems.push(`${c.remoteIPRanges.length} remote ranges`);
    const groups = b.get('PermissionGroups');
    if (groups !== undefined && this.flags(PERMISSION_GROUPS, toStringList(groups.value), 'PermissionGroups').join() !== c.permissionGroups.filter((g) => g !== 'Custom').join()) problems.push('PermissionGroups');
    const auth = b.get('AuthMechanism');
    if (auth !== undefined && this.flags(AUTH_MECHANISMS, toStringList(auth.value), 'AuthMechanism').join() !== c.authMechanism.join()) problems.push('AuthMechanism');
    if (problems.length > 0) this.fail(node, `Assert-ExrelayConnector: ${identity} differs from what the script creates: ${problems.join(', ')}`);
  }

  private mutate(cmdlet: string, b: Map<string, Bound>): string {
    switch (cmdlet) {
      case 'New-ReceiveConnector': return this.newConnector(b);
      case 'Set-ReceiveConnector': return this.setConnector(b);
      case 'Remove-ReceiveConnector': return this.removeConnector(b);
      case 'Add-ADPermission': return this.adPermission(b, 'add');
      case 'Remove-ADPermission': return this.adPermission(b, 'remove');
      case 'New-AcceptedDomain': return this.newDomain(b);
      case 'Set-AcceptedDomain': return this.setDomain(b);
      case 'Remove-AcceptedDomain': return this.removeDomain(b);
      default: throw new Refusal(`${cmdlet} is not supported`);
    }
  }

  // ------------------------------------------------------------------ lookups

  private findConnector(identity: string): ReceiveConnector | null {
    const id = identity.trim();
    if (id.includes('\\')) return this.snap.connectors.find((c) => eq(c.identity, id)) ?? null;
    const byName = this.snap.connectors.filter((c) => eq(c.name, id));
    if (byName.length > 1) throw new Refusal(`"${id}" matches connectors on several servers (${byName.map((c) => c.identity).join(', ')}); use SERVER\\Name`);
    return byName[0] ?? null;
  }

  private requireConnector(b: Map<string, Bound>): ReceiveConnector {
    const id = b.get('Identity');
    if (id === undefined) throw new Refusal('-Identity is required');
    const c = this.findConnector(stringify(id.value));
    if (c === null) throw new Refusal(`couldn't find receive connector "${stringify(id.value)}"`);
    return c;
  }

  private domainMatches(d: AcceptedDomain, id: string): boolean {
    const name = d.extra?.['name'];
    return eq(d.domainName, id) || (typeof name === 'string' && eq(name, id));
  }

  private isLegacyServer(server: string): boolean {
    const s = this.snap.servers.find((x) => eq(x.name, server));
    if (s?.version !== null && s?.version !== undefined) return /(?:^|\s)(?:Version\s+)?(?:8|14)\./i.test(s.version);
    const own = this.snap.connectors.filter((c) => eq(c.server, server));
    return own.length > 0 && own.every((c) => c.transportRole === null);
  }

  // ------------------------------------------------------------------ value conversion

  private str(b: Map<string, Bound>, name: string): string | undefined {
    const v = b.get(name);
    return v === undefined ? undefined : stringify(v.value);
  }

  private bool(v: PsValue, what: string): boolean {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    const s = stringify(v).trim().replace(/^\$/, '').toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    throw new Refusal(`cannot convert "${stringify(v)}" to a boolean for -${what}`);
  }

  private enumValue<T extends string>(all: readonly T[], raw: string, what: string): T {
    const hit = all.find((v) => eq(v, raw.trim()));
    if (hit === undefined) throw new Refusal(`"${raw}" is not a valid ${what} (expected ${all.join(', ')})`);
    return hit;
  }

  /** Flag lists: items may themselves be `A, B` strings; `None` stands alone for the empty set. */
  private flags<T extends string>(all: readonly T[], items: string[], what: string): T[] {
    const words = items.flatMap((i) => i.split(',')).map((w) => w.trim()).filter((w) => w !== '');
    if (words.some((w) => eq(w, 'None'))) {
      if (words.length > 1) throw new Refusal(`${what} None cannot be combined with other values`);
      return [];
    }
    return orderFlags(all, words.map((w) => this.enumValue(all, w, what)));
  }

  private byteSize(v: PsValue, what: string): number | null {
    if (typeof v === 'number') return Math.floor(v);
    const s = stringify(v).trim();
    if (/^unlimited$/i.test(s)) return null;
    const bytes = /\(([\d,.\s]+) bytes\)/i.exec(s);
    if (bytes !== null) return Number.parseInt((bytes[1] ?? '').replace(/[^\d]/g, ''), 10);
    const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?$/i.exec(s);
    if (m === null) throw new Refusal(`"${s}" is not a size for -${what} (e.g. 36MB)`);
    const unit = (m[2] ?? 'B').toUpperCase();
    const mult: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
    return Math.floor(Number(m[1]) * (mult[unit] ?? 1));
  }

  /** A list parameter: a plain list replaces, `@{Add=…; Remove=…}` edits (reference §5.3). */
  private listEdit<T>(v: PsValue, current: T[], parse: (s: string) => T, same: (a: T, b: T) => boolean, what: string): T[] {
    if (isHash(v)) {
      let out = [...current];
      for (const [key, value] of v.hash) {
        if (key !== 'add' && key !== 'remove') throw new Refusal(`-${what} accepts @{Add=…} and @{Remove=…}, not "${key}"`);
        const items = toStringList(value).map(parse);
        if (key === 'add') for (const item of items) { if (!out.some((o) => same(o, item))) out.push(item); }
        else out = out.filter((o) => !items.some((item) => same(o, item)));
      }
      return out;
    }
    const items = toStringList(v).map(parse);
    const out: T[] = [];
    for (const item of items) if (!out.some((o) => same(o, item))) out.push(item);
    return out;
  }

  private parseRange = (s: string): IpRange => {
    const parsed = parseRange(s);
    if (parsed.range === undefined) throw new Refusal(parsed.reason);
    return parsed.range;
  };

  private parseBindingText = (s: string): Binding => {
    const parsed = parseBinding(s);
    if (parsed.binding === undefined) throw new Refusal(parsed.reason);
    return parsed.binding;
  };

  /** The parameters New- and Set-ReceiveConnector share, applied to a working copy. */
  private applySettings(c: ReceiveConnector, permissions: Permission[], b: Map<string, Bound>): void {
    for (const [key, { value }] of b) {
      switch (key) {
        case 'Bindings':
          c.bindings = this.listEdit(value, c.bindings, this.parseBindingText, sameBinding, 'Bindings');
          if (c.bindings.length === 0) throw new Refusal('Bindings cannot be empty');
          break;
        case 'RemoteIPRanges':
          c.remoteIPRanges = this.listEdit(value, c.remoteIPRanges, this.parseRange, sameRange, 'RemoteIPRanges');
          if (c.remoteIPRanges.length === 0) throw new Refusal('RemoteIPRanges cannot be empty');
          break;
        case 'PermissionGroups': {
          const groups = isHash(value)
            ? this.listEdit(value, c.permissionGroups.filter((g) => g !== 'Custom'), (s) => this.enumValue(PERMISSION_GROUPS, s, 'PermissionGroups value'), (x, y) => x === y, 'PermissionGroups')
            : this.flags(PERMISSION_GROUPS, toStringList(value), 'PermissionGroups');
          if (groups.includes('Custom')) throw new Refusal('PermissionGroups Custom cannot be set; it is shown when explicit AD permissions exist');
          const ordered = orderFlags(PERMISSION_GROUPS, groups);
          // The same groups again is "no settings modified": Exchange leaves the ACL alone.
          if (ordered.join() !== c.permissionGroups.filter((g) => g !== 'Custom').join()) setGroups(c, permissions, ordered);
          break;
        }
        case 'AuthMechanism':
          c.authMechanism = isHash(value)
            ? orderFlags(AUTH_MECHANISMS, this.listEdit(value, c.authMechanism, (s) => this.enumValue(AUTH_MECHANISMS, s, 'AuthMechanism value'), (x, y) => x === y, 'AuthMechanism'))
            : this.flags(AUTH_MECHANISMS, toStringList(value), 'AuthMechanism');
          break;
        case 'TransportRole':
          if (c.transportRole !== null) c.transportRole = this.enumValue(TRANSPORT_ROLES, stringify(value), 'TransportRole');
          break;
        case 'Enabled': c.enabled = this.bool(value, key); break;
        case 'RequireTLS': c.requireTLS = this.bool(value, key); break;
        case 'DomainSecureEnabled': c.domainSecureEnabled = this.bool(value, key); break;
        case 'Fqdn': c.fqdn = value === null || stringify(value) === '' ? null : stringify(value); break;
        case 'TlsCertificateName': {
          const name = value === null ? '' : stringify(value);
          if (name !== '') {
            const problem = tlsCertificateNameProblem(name);
            if (problem !== null) throw new Refusal(problem);
          }
          c.tlsCertificateName = name === '' ? null : name;
          break;
        }
        case 'Banner': {
          const banner = value === null ? '' : stringify(value);
          if (banner !== '') {
            const problem = bannerProblem(banner);
            if (problem !== null) throw new Refusal(problem);
          }
          c.banner = banner === '' ? null : banner;
          break;
        }
        case 'MaxMessageSize': {
          const size = this.byteSize(value, key);
          if (size === null || size < 65536 || size > 2 * 1024 ** 3) throw new Refusal('MaxMessageSize must be between 64 KB and 2 GB');
          c.maxMessageSize = size;
          break;
        }
        case 'MaxRecipientsPerMessage': {
          const n = typeof value === 'number' ? value : Number(stringify(value));
          if (!Number.isInteger(n) || n < 1 || n > 512000) throw new Refusal('MaxRecipientsPerMessage must be a whole number from 1 to 512000');
          c.maxRecipientsPerMessage = n;
          break;
        }
        case 'ProtocolLoggingLevel':
          c.protocolLoggingLevel = this.enumValue(PROTOCOL_LOGGING_LEVELS, stringify(value), 'ProtocolLoggingLevel');
          break;
        default:
          if (key.startsWith('extra:')) {
            c.extra = { ...(c.extra ?? {}), [key.slice('extra:'.length)]: toJson(value) };
          }
      }
    }
  }

  private validateConnector(c: ReceiveConnector): void {
    if (c.name.length === 0 || c.name.length > 64) throw new Refusal('Name must be 1 to 64 characters');
    const auth = authMechanismProblems(c);
    if (auth[0] !== undefined) throw new Refusal(auth[0]);
    const conflict = conflictWith(c, this.snap.connectors);
    if (conflict !== null) throw new Refusal(conflict);
  }

  // ------------------------------------------------------------------ receive connectors

  private newConnector(b: Map<string, Bound>): string {
    const name = this.str(b, 'Name');
    if (name === undefined || name.trim() === '') throw new Refusal('-Name is required');
    let server = this.str(b, 'Server');
    if (server === undefined) {
      const known = this.knownServers();
      if (known.length !== 1 || known[0] === undefined) throw new Refusal('-Server is required (the dry run cannot know which server the script runs on)');
      server = known[0];
    }
    const serverName = this.knownServers().find((s) => eq(s, server ?? ''));
    if (serverName === undefined) throw new Refusal(`couldn't find server "${server}"`);
    const usageParam = this.str(b, 'Usage');
    const switches = USAGE_SWITCHES.filter((s) => b.has(s) && isTruthy(b.get(s)?.value ?? false));
    if (switches.length + (usageParam === undefined ? 0 : 1) > 1) throw new Refusal('give one usage only (-Usage or one of -Client -Custom -Internal -Internet -Partner)');
    const usage = usageParam === undefined ? (switches[0] ?? 'Custom') : this.enumValue(USAGE_SWITCHES, usageParam, 'Usage');
    const template = USAGES[usage] ?? USAGES['Custom'];
    if (template === undefined) throw new Refusal(`unknown usage ${usage}`);
    if (template.bindings === 'required' && !b.has('Bindings')) throw new Refusal(`-Bindings is required with usage ${usage}`);
    if (template.bindings !== 'required' && template.bindings !== 'forbidden' && b.has('Bindings') && usage !== 'Custom') {
      throw new Refusal(`-Bindings cannot be used with usage ${usage}`);
    }
    if (template.ranges === 'required' && !b.has('RemoteIPRanges')) throw new Refusal(`-RemoteIPRanges is required with usage ${usage}`);
    if (Array.isArray(template.ranges) && b.has('RemoteIPRanges')) throw new Refusal(`-RemoteIPRanges cannot be used with usage ${usage}`);
    for (const key of ['Bindings', 'RemoteIPRanges']) {
      const v = b.get(key);
      if (v !== undefined && isHash(v.value)) throw new Refusal(`-${key} @{Add/Remove} needs an existing connector; give a list`);
    }
    const legacy = this.isLegacyServer(serverName);
    const serverObj = this.snap.servers.find((s) => eq(s.name, serverName));
    const identity = `${serverName}\\${name}`;
    if (this.snap.connectors.some((c) => eq(c.identity, identity))) throw new Refusal(`a receive connector named "${name}" already exists on ${serverName}`);
    const c: ReceiveConnector = {
      identity,
      server: serverName,
      name,
      // UNSURE(reference): §1.2 says a new 2013+ connector is HubTransport unless -TransportRole is given (unconfirmed).
      transportRole: legacy ? null : 'HubTransport',
      enabled: true,
      bindings: Array.isArray(template.bindings) ? [...template.bindings] : [],
      remoteIPRanges: Array.isArray(template.ranges) ? [...template.ranges] : [],
      permissionGroups: [...template.groups],
      authMechanism: [...template.auth],
      requireTLS: false,
      domainSecureEnabled: false,
      fqdn: serverObj?.fqdn ?? null,
      tlsCertificateName: null,
      banner: null,
      protocolLoggingLevel: 'None',
      maxMessageSize: 37748736,
      maxRecipientsPerMessage: 200,
    };
    const permissions = [...this.snap.permissions];
    const settings = new Map([...b].filter(([k]) => k !== 'Name'));
    this.applySettings(c, permissions, settings);
    this.validateConnector(c);
    this.snap.connectors.push(c);
    this.snap.permissions = permissions;
    return `created ${identity}`;
  }

  private knownServers(): string[] {
    const names = new Map<string, string>();
    for (const s of this.snap.servers) names.set(s.name.toLowerCase(), s.name);
    for (const c of this.snap.connectors) if (!names.has(c.server.toLowerCase())) names.set(c.server.toLowerCase(), c.server);
    return [...names.values()];
  }

  private setConnector(b: Map<string, Bound>): string {
    const current = this.requireConnector(b);
    const c = structuredClone(current);
    const permissions = structuredClone(this.snap.permissions);
    const newName = this.str(b, 'Name');
    if (newName !== undefined && newName !== c.name) {
      const identity = `${c.server}\\${newName}`;
      if (this.snap.connectors.some((o) => o !== current && eq(o.identity, identity))) throw new Refusal(`a receive connector named "${newName}" already exists on ${c.server}`);
      for (const p of permissions) if (eq(p.identity, c.identity)) p.identity = identity;
      c.name = newName;
      c.identity = identity;
    }
    this.applySettings(c, permissions, new Map([...b].filter(([k]) => k !== 'Name' && k !== 'Identity')));
    const index = this.snap.connectors.indexOf(current);
    this.snap.connectors[index] = c;
    try {
      this.validateConnector(c);
    } catch (error) {
      this.snap.connectors[index] = current;
      throw error;
    }
    this.snap.permissions = permissions;
    return `set ${c.identity}`;
  }

  private removeConnector(b: Map<string, Bound>): string {
    const c = this.requireConnector(b);
    this.snap.connectors = this.snap.connectors.filter((x) => x !== c);
    // The ACL lives on the connector's AD object and goes with it.
    this.snap.permissions = this.snap.permissions.filter((p) => !eq(p.identity, c.identity));
    return `removed ${c.identity}`;
  }

  private adPermission(b: Map<string, Bound>, op: 'add' | 'remove'): string {
    const c = this.requireConnector(b);
    const user = this.str(b, 'User');
    if (user === undefined || user.trim() === '') throw new Refusal('-User is required');
    const rightsBound = b.get('ExtendedRights');
    if (rightsBound === undefined) throw new Refusal('only entries with -ExtendedRights are modelled (receive-connector rights are extended rights)');
    // Rights are spelled as Microsoft spells them in the result, however the script wrote them.
    const rights = toStringList(rightsBound.value).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '').map(canonicalRight);
    const deny = isTruthy(b.get('Deny')?.value ?? false);
    const permissions = this.snap.permissions;
    let touched = false;
    for (const right of rights) {
      if (!/^ms-Exch-/i.test(right)) throw new Refusal(`"${right}" is not an Exchange extended right`);
      touched = (op === 'add' ? addRight(c, permissions, user, right, deny) : removeRight(c, permissions, user, right, deny)) || touched;
    }
    if (op === 'remove' && !touched) throw new Refusal(`no ${deny ? 'Deny' : 'Allow'} entry for ${user} with ${rights.join(', ')} on ${c.identity}`);
    recomputeCustom(c, permissions);
    return `${op === 'add' ? 'added' : 'removed'} ${deny ? 'Deny' : 'Allow'} ${rights.join(', ')} for ${user} on ${c.identity}`;
  }

  // ------------------------------------------------------------------ accepted domains

  private newDomain(b: Map<string, Bound>): string {
    const domainName = this.str(b, 'DomainName');
    const name = this.str(b, 'Name') ?? domainName;
    if (domainName === undefined || domainName.trim() === '') throw new Refusal('-DomainName is required');
    const domainType = this.enumValue(DOMAIN_TYPES, this.str(b, 'DomainType') ?? 'Authoritative', 'DomainType');
    if (domainName.trim() === '*' && domainType === 'Authoritative') throw new Refusal('the domain * can only be a relay domain (InternalRelay or ExternalRelay)');
    if (this.snap.acceptedDomains.some((d) => eq(d.domainName, domainName) || this.domainMatches(d, name ?? ''))) {
      throw new Refusal(`an accepted domain for "${domainName}" already exists`);
    }
    const d: AcceptedDomain = { domainName: domainName.trim(), domainType, default: this.snap.acceptedDomains.length === 0 };
    if (name !== undefined && name !== domainName) d.extra = { name };
    this.snap.acceptedDomains.push(d);
    return `created accepted domain ${domainName}`;
  }

  private requireDomain(b: Map<string, Bound>): AcceptedDomain {
    const id = this.str(b, 'Identity');
    if (id === undefined) throw new Refusal('-Identity is required');
    const d = this.snap.acceptedDomains.find((x) => this.domainMatches(x, id));
    if (d === undefined) throw new Refusal(`couldn't find accepted domain "${id}"`);
    return d;
  }

  private setDomain(b: Map<string, Bound>): string {
    const d = this.requireDomain(b);
    const type = this.str(b, 'DomainType');
    if (type !== undefined) {
      const t = this.enumValue(DOMAIN_TYPES, type, 'DomainType');
      if (d.domainName === '*' && t === 'Authoritative') throw new Refusal('the domain * can only be a relay domain (InternalRelay or ExternalRelay)');
      d.domainType = t;
    }
    const makeDefault = b.get('MakeDefault');
    if (makeDefault !== undefined && this.bool(makeDefault.value, 'MakeDefault')) {
      for (const other of this.snap.acceptedDomains) other.default = other === d;
    }
    const name = this.str(b, 'Name');
    if (name !== undefined) d.extra = { ...(d.extra ?? {}), name };
    return `set accepted domain ${d.domainName}`;
  }

  private removeDomain(b: Map<string, Bound>): string {
    const d = this.requireDomain(b);
    if (d.default) throw new Refusal(`${d.domainName} is the default accepted domain and cannot be removed`);
    this.snap.acceptedDomains = this.snap.acceptedDomains.filter((x) => x !== d);
    return `removed accepted domain ${d.domainName}`;
  }
}

function toJson(v: PsValue): JsonValue {
  if (Array.isArray(v)) return v.map(toJson);
  if (isHash(v)) return Object.fromEntries([...v.hash].map(([k, x]) => [k, toJson(x)]));
  return v;
}


// `audit --fixes FILE`: every proved fix as one reviewed script. Proved one by one, fixes may
// still conflict when run together (two fixes of one connector), so they are ordered —
// additions before removals — and carried out one after another on the same model: a fix that
// no longer holds after the ones before it is left out (and named). Every Exchange cmdlet stops
// the script on error (`-ErrorAction Stop`), and the whole script is applied, re-audited and
// replayed once more before it is written.
import { applyTree } from '../apply/apply.js';
import { normaliseCommaLists } from '../apply/normalise.js';
import { SEVERITIES, compareFindings, type Finding, type FindingsDocument, type Snapshot } from '../model.js';
import { commandNodes, commandName, parsePowerShell, type SyntaxNode } from '../powershell/grammar.js';
import { RELAY_SCOPE_RULES, afterScript, findingKey, type ProofContext } from './verify.js';

export interface CombinedFixes {
  /** The script to write (empty when nothing was proved). */
  script: string;
  /** Findings whose fix is in the script. */
  included: Finding[];
  /** Findings whose own fix was not needed: the fixes before it resolved them already. */
  alsoResolved: Finding[];
  /** Findings with a proved fix of their own that could not join the others, and why. */
  leftOut: Array<{ finding: Finding; reason: string }>;
}

const rank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);

/** 0: only adds, 1: adds and removes, 2: only removes — additions run first. */
function removalOrder(script: string): number {
  const removes = /\bRemove-|@\{\s*Remove\s*=|-=|-PermissionGroups\s+'?None/i.test(script);
  const adds = /\bAdd-|\bNew-|@\{\s*Add\s*=|\+=/i.test(script);
  return removes ? (adds ? 1 : 2) : 0;
}

/** Exchange cmdlets (not PowerShell's own pipeline helpers such as Where-Object). */
function isExchangeCmdlet(name: string): boolean {
  return /^[A-Za-z]+-[A-Za-z]+$/.test(name) && !/-Object$|^(Write|Out|Format|Select|Sort|Group|Measure)-/i.test(name);
}

function hasErrorAction(command: SyntaxNode): boolean {
  return /(^|\s)-ErrorAction(\s|:)/i.test(command.text) || /(^|\s)-EA(\s|:)/i.test(command.text);
}

/** Adds `-ErrorAction Stop` to every Exchange cmdlet that lacks it. */
export async function withErrorActionStop(script: string): Promise<string> {
  const parsed = await parsePowerShell(script);
  try {
    const edits: number[] = [];
    for (const command of commandNodes(parsed.tree.rootNode)) {
      if (!isExchangeCmdlet(commandName(command)) || hasErrorAction(command)) continue;
      // Offsets are the grammar's; a script with characters outside ASCII may count differently.
      if (script.slice(command.startIndex, command.endIndex) !== command.text) return `$ErrorActionPreference = 'Stop'\n${script}`;
      edits.push(command.endIndex);
    }
    let out = script;
    for (const at of edits.sort((a, b) => b - a)) out = `${out.slice(0, at)} -ErrorAction Stop${out.slice(at)}`;
    return out;
  } finally {
    parsed.tree.delete();
  }
}

interface Step { findings: Finding[]; script: string }

async function applyText(snapshot: Snapshot, script: string): Promise<Snapshot | string> {
  const parsed = await parsePowerShell(normaliseCommaLists(script).text);
  try {
    const syntax = parsed.errors[0];
    if (syntax !== undefined) return `PowerShell syntax error near "${syntax.text}"`;
    try {
      return applyTree(snapshot, parsed.tree.rootNode, { file: 'fixes', reportUnchanged: false }).snapshot;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  } finally {
    parsed.tree.delete();
  }
}

/**
 * Why the state after the steps so far is not acceptable, or null when it is. The state is
 * re-audited and replayed as a single fix is (afterScript: what changed since the audited
 * configuration, incrementally).
 */
function problemsOf(context: ProofContext, state: Snapshot, fixed: readonly Finding[], rescoped: ReadonlyMap<Finding, readonly string[]>): string | null {
  const { findings: after, broken } = afterScript(context, state);
  const keys = new Set(fixed.map(findingKey));
  const unresolved = after.filter((f) => keys.has(findingKey(f)));
  if (unresolved.length > 0) return `${unresolved[0]?.rule ?? ''} is reported again once the fixes before it have run`;
  // As for one fix: a new finding counts when it is as severe as the worst finding fixed.
  const floor = Math.min(...fixed.map((f) => rank(f.severity)));
  for (const f of [...after].sort(compareFindings)) {
    const was = context.before.get(findingKey(f));
    if (rank(f.severity) <= floor && (was === undefined || rank(f.severity) < rank(was))) return `together with the fixes before it, it adds ${f.severity} ${f.rule} on ${f.connector ?? f.server ?? 'the organisation'}`;
  }
  const about = new Set(fixed.filter((f) => RELAY_SCOPE_RULES.has(f.rule)).map((f) => f.connector?.toLowerCase()).filter((c) => c !== undefined));
  for (const f of fixed) for (const c of rescoped.get(f) ?? []) about.add(c.toLowerCase());
  for (const [i, entry] of context.baseline.scenarios.entries()) {
    if (entry.sampleOf !== null && about.has(entry.sampleOf.identity.toLowerCase())) continue;
    if (broken.has(i)) return `together with the fixes before it, it stops ${entry.kept}`;
  }
  return null;
}

/** The findings present in a state (the audited one or one after some fixes). */
function keysOf(context: ProofContext, state: Snapshot): Set<string> {
  return new Set(state === context.snapshot ? context.before.keys() : afterScript(context, state).after.keys());
}

function comment(f: Finding): string {
  return `# ${f.severity} ${f.rule}: ${(f.connector ?? f.server ?? 'organisation').replace(/[\r\n]/g, ' ')}`;
}

/** The proved fixes of `doc` (active findings) as one script, proved again as a whole. */
export async function combineFixes(context: ProofContext, doc: FindingsDocument, rescoped: ReadonlyMap<Finding, readonly string[]> = new Map()): Promise<CombinedFixes> {
  const steps: Step[] = [];
  const byScript = new Map<string, Step>();
  for (const f of doc.findings) {
    if (f.fix === undefined || f.fix === null || f.fix.verified === null) continue;
    const known = byScript.get(f.fix.script);
    if (known !== undefined) { known.findings.push(f); continue; }
    const step = { findings: [f], script: f.fix.script };
    byScript.set(f.fix.script, step);
    steps.push(step);
  }
  // Stable: within one kind, the audit's order (worst first).
  const ordered = steps.map((s, i) => ({ s, i })).sort((a, b) => removalOrder(a.s.script) - removalOrder(b.s.script) || a.i - b.i).map((x) => x.s);

  let state = context.snapshot;
  const kept: Step[] = [];
  const leftOut: CombinedFixes['leftOut'] = [];
  const alsoResolved: Finding[] = [];
  let present = keysOf(context, state);
  for (const step of ordered) {
    if (step.findings.every((f) => !present.has(findingKey(f)))) { alsoResolved.push(...step.findings); continue; }
    const next = await applyText(state, step.script);
    const problem = typeof next === 'string'
      ? `apply refuses it after the fixes before it (${next})`
      : problemsOf(context, next, [...kept.flatMap((k) => k.findings), ...step.findings], rescoped);
    if (problem !== null || typeof next === 'string') {
      for (const finding of step.findings) leftOut.push({ finding, reason: problem ?? '' });
      continue;
    }
    state = next;
    present = keysOf(context, state);
    kept.push(step);
  }
  if (kept.length === 0) return { script: '', included: [], alsoResolved, leftOut };

  const body = kept.map((s) => `${s.findings.map(comment).join('\n')}\n${s.script.trim()}`).join('\n\n');
  const script = await withErrorActionStop(`${body}\n`);
  // The whole script as written, once more from the audited snapshot.
  const whole = await applyText(context.snapshot, script);
  const included = kept.flatMap((s) => s.findings);
  const problem = typeof whole === 'string' ? `apply refuses the combined script (${whole})` : problemsOf(context, whole, included, rescoped);
  if (problem !== null) {
    // Not expected (each step held on the same model); never write a script that failed its proof.
    return { script: '', included: [], alsoResolved: [], leftOut: [...leftOut, ...included.map((finding) => ({ finding, reason: problem }))] };
  }
  const header = [
    '# exrelay: proved fixes, one after another (additions before removals).',
    `# Each step was applied to the audited configuration in exrelay's model, re-audited and replayed`,
    '# (inbound internet mail, authenticated submission, the other relay hosts); review before running.',
  ].join('\n');
  return { script: `${header}\n\n${script}`, included, alsoResolved, leftOut };
}

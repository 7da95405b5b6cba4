// `exrelay audit`: every rule of the catalogue over the inputs, printed as text, JSON
// (exrelay.findings/1), CSV or the HTML risk report; `--fail-on` turns it into a CI gate.
import type { Command } from 'commander';
import { RULE_INFO } from '../../analyzers/rules/index.js';
import { gateFails, runAudit } from '../../analyzers/run.js';
import { isSuppressionExpired, matchesSuppression, parseSuppressions, type Suppression } from '../../analyzers/suppressions.js';
import { renderFindingsCsv } from '../../emitters/findings-csv.js';
import { renderFindingsJson } from '../../emitters/findings-json.js';
import { renderFindingsText } from '../../emitters/findings-text.js';
import { createRedactor } from '../../emitters/redact.js';
import { renderReportHtml } from '../../emitters/report/index.js';
import { ExitCode, InputError, UsageError } from '../../errors.js';
import { RULE_IDS, SEVERITIES, type FindingsDocument, type Severity, type Snapshot } from '../../model.js';
import { buildPolicy } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import type { Io } from '../io.js';
import { loadSnapshot, readOptionFile } from '../load.js';
import { parseChoice, parseIpList, parseList, parseSeverity } from '../options.js';
import { writeOutputFile } from '../output.js';

export const AUDIT_FORMATS = ['text', 'json', 'html', 'csv'] as const;
type AuditFormat = (typeof AUDIT_FORMATS)[number];

export interface AuditCliOptions {
  format: AuditFormat;
  out?: string;
  failOn?: Severity;
  exchangeServers: string[];
  loadBalancers: string[];
  only: string[];
  skip: string[];
  suppress?: string;
  redact: boolean;
  replay?: string;
}

/** Checked in the action (not by commander) so a typo gives the contract's single line. */
function checkRuleList(option: string, list: readonly string[]): void {
  const unknown = list.filter((id) => !(RULE_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new UsageError(`${option}: unknown rule ${unknown.map((u) => `"${u}"`).join(', ')} (see the rule table in README or exrelay audit --help)`);
}

async function readText(io: Io, file: string): Promise<string> {
  return (await readOptionFile(io, file)).text;
}

/** Warnings about the suppressions file itself: expired entries and entries that match nothing. */
function suppressionWarnings(file: string, suppressions: readonly Suppression[], doc: FindingsDocument, now: Date): string[] {
  const all = [...doc.findings, ...(doc.accepted ?? []).map((a) => a.finding)];
  const out: string[] = [];
  for (const s of suppressions) {
    const target = `${s.rule} on ${s.connector ?? '(organisation)'}`;
    const matched = all.some((f) => matchesSuppression(s, f));
    if (isSuppressionExpired(s, now)) {
      out.push(`${file}: suppression of ${target} expired on ${s.expires}${matched ? '; the finding is reported again' : ''}`);
    } else if (!matched) {
      out.push(`${file}: suppression of ${target} matches no finding`);
    }
  }
  return out;
}

export async function auditCommand(inputs: string[], opts: AuditCliOptions, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  checkRuleList('--only', opts.only);
  checkRuleList('--skip', opts.skip);
  if (opts.replay !== undefined && opts.format !== 'html') throw new UsageError('--replay only applies to --format html');
  let suppressions: Suppression[] = [];
  if (opts.suppress !== undefined) suppressions = parseSuppressions(opts.suppress, await readText(io, opts.suppress));
  let replay: unknown;
  let replayText: string | undefined;
  if (opts.replay !== undefined) {
    replayText = await readText(io, opts.replay);
    try { replay = JSON.parse(replayText); } catch { throw new InputError(opts.replay, null, 'not valid JSON (expected the output of `exrelay replay --compare --format json`)'); }
  }

  const snapshot: Snapshot = await loadSnapshot(inputs, io);
  const now = new Date();
  const doc = runAudit(snapshot, {
    exchangeServers: opts.exchangeServers, loadBalancers: opts.loadBalancers, only: opts.only, skip: opts.skip, suppressions,
  }, now);
  // Data the engine had to skip (e.g. a remote range that is not an address range) would
  // otherwise vanish silently from every selection-based finding.
  for (const problem of buildPolicy(snapshot).problems) io.stderr(`exrelay: warning: ${problem}\n`);
  if (opts.suppress !== undefined) {
    for (const w of suppressionWarnings(opts.suppress, suppressions, doc, now)) io.stderr(`exrelay: warning: ${w}\n`);
  }

  // Redaction happens on the finished documents, so every format leaves with the same placeholders.
  const redactor = opts.redact ? createRedactor() : null;
  const shown = redactor === null ? doc : redactor.redactFindings(doc);
  let output: string;
  switch (opts.format) {
    case 'json': output = renderFindingsJson(shown); break;
    case 'csv': output = renderFindingsCsv(shown); break;
    case 'text': output = renderFindingsText(shown); break;
    case 'html': {
      const shownSnapshot = redactor === null ? snapshot : redactor.redactSnapshot(snapshot);
      let shownReplay = replay;
      if (redactor !== null && replayText !== undefined) shownReplay = JSON.parse(redactor.redactText(replayText)) as unknown;
      output = renderReportHtml({
        snapshot: shownSnapshot, findings: shown, rules: RULE_INFO, policy: buildPolicy(shownSnapshot), generatedAt: now,
        ...(shownReplay === undefined ? {} : { replay: shownReplay }),
        ...(opts.replay === undefined ? {} : { replayFile: opts.replay }),
      });
      break;
    }
  }

  if (opts.out !== undefined) {
    const path = await writeOutputFile(io, opts.out, output);
    // Say where the file is and what is in it (npm run demo relies on it); stdout stays empty
    // so that scripts redirecting it get nothing unexpected.
    const counts = SEVERITIES.map((s) => `${shown.summary[s]} ${s}`).join(', ');
    io.stderr(`exrelay: wrote ${path} (${shown.findings.length} findings: ${counts})\n`);
  } else io.stdout(output);

  ctx.setExitCode(opts.failOn !== undefined && gateFails(doc, opts.failOn) ? ExitCode.GateFailed : ExitCode.Ok);
}

export function registerAudit(program: Command, ctx: CommandContext): void {
  program.command('audit')
    .description('Run every audit rule (open relays, shadowed and overlapping connectors, TLS, permissions…) and print the findings')
    .argument('<inputs...>', 'exports, directories or snapshots (merged into one configuration)')
    .option('--format <format>', 'text, json (exrelay.findings/1), html (the risk report) or csv', parseChoice(AUDIT_FORMATS), 'text')
    .option('--out <file>', 'write the output to FILE instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding is at this severity or worse (critical, high, medium, low, info)', parseSeverity)
    .option('--exchange-servers <ips>', 'Exchange server addresses, comma-separated, besides those in the snapshot', parseIpList, [])
    .option('--load-balancers <ips>', 'load balancer addresses (as Exchange sees them), comma-separated', parseIpList, [])
    .option('--only <rules>', `run only these rules (comma-separated ids: ${RULE_IDS.join(', ')})`, parseList, [])
    .option('--skip <rules>', 'do not run these rules (comma-separated ids)', parseList, [])
    .option('--suppress <file>', 'accepted risks: JSON or YAML list of {rule, connector, reason, expires}')
    .option('--redact', 'replace host names, domains, addresses, users and thumbprints with placeholders (every format)', false)
    .option('--replay <file>', 'with --format html: a `replay --compare --format json` result to show before/after')
    .action(async (inputs: string[], opts: AuditCliOptions) => { await auditCommand(inputs, opts, ctx); });
}

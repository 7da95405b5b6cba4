// `exrelay audit`: every rule of the catalogue over the inputs, printed as text, JSON
// (exrelay.findings/1), CSV or the HTML risk report; `--fail-on` turns it into a CI gate.
import type { Command } from 'commander';
import { RULE_INFO } from '../../analyzers/rules/index.js';
import { gateFails, runAudit } from '../../analyzers/run.js';
import { buildLogsDocument } from '../../logs/aggregate.js';
import { logConfigFrom } from '../../logs/config.js';
import type { ReadResult } from '../../logs/reader.js';
import { combineFixes } from '../../proof/combined.js';
import { observedSendersFrom } from '../../proof/observed.js';
import { auditWithProof } from '../../proof/verify.js';
import { isSuppressionExpired, matchesSuppression, parseSuppressions, type Suppression } from '../../analyzers/suppressions.js';
import { renderFindingsCsv } from '../../emitters/findings-csv.js';
import { renderFindingsJson } from '../../emitters/findings-json.js';
import { renderFindingsText } from '../../emitters/findings-text.js';
import { createRedactor } from '../../emitters/redact.js';
import { renderReportHtml } from '../../emitters/report/index.js';
import { ExitCode, InputError, UsageError } from '../../errors.js';
import { RULE_IDS, SEVERITIES, type FindingsDocument, type ObservedSender, type Severity, type Snapshot } from '../../model.js';
import { buildPolicy } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import type { Io } from '../io.js';
import { withExamples } from '../help.js';
import { readOptionFile, loadConnectorSnapshot } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseChoice, parseIpList, parseIsoDate, parseList, parseSeverity } from '../options.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';
import { planFromLogs, readRelayLogs } from './plan.js';

export const AUDIT_FORMATS = ['text', 'json', 'html', 'csv'] as const;
type AuditFormat = (typeof AUDIT_FORMATS)[number];

export interface AuditCliOptions extends QuietOption {
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
  /** The audit date for lifecycle rules and suppression expiry; today when absent. */
  asOf?: Date;
  /**
   * Protocol or message tracking logs: the traffic fixes must keep (rules.md "Fixes"); with
   * --format html the report also gains the exit plan per sender.
   */
  logs?: string[];
  /** Write every proved fix as one ordered script to this file. */
  fixes?: string;
  /** commander's `--no-verify`: false skips the proofs (every fix then says "not verified"). */
  verify: boolean;
}

/** The hosts seen in the logs, with the audited configuration as the logs' config. */
function observedSenders(logs: ReadResult, snapshot: Snapshot): ObservedSender[] {
  return observedSendersFrom(buildLogsDocument(logs.aggregate, { files: logs.files, lines: logs.lines, trackingFiles: logs.trackingFiles }, logConfigFrom(snapshot)));
}

/** Checked in the action (not by commander) so a typo gives the contract's single line. */
function checkRuleList(option: string, list: readonly string[]): void {
  for (const id of list) requireKnownName(option, id, RULE_IDS, 'rule', 'the rule catalogue');
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
  if (opts.fixes !== undefined && !opts.verify) throw new UsageError('--fixes writes proved fixes only: it cannot be combined with --no-verify');
  let suppressions: Suppression[] = [];
  if (opts.suppress !== undefined) suppressions = parseSuppressions(opts.suppress, await readText(io, opts.suppress));
  let replay: unknown;
  let replayText: string | undefined;
  if (opts.replay !== undefined) {
    replayText = await readText(io, opts.replay);
    try { replay = JSON.parse(replayText); } catch { throw new InputError(opts.replay, null, 'not valid JSON (expected the output of `exrelay replay --compare --format json`)'); }
  }

  const snapshot: Snapshot = await loadConnectorSnapshot(inputs, io, { logsReadElsewhere: opts.logs ?? [] });
  // Rules and suppression expiry judge the audit date; the report's timestamp stays the real time.
  const generatedAt = new Date();
  const now = opts.asOf ?? generatedAt;
  // Read once: the fixes' traffic and the report's exit plan come from the same logs.
  const logs = opts.logs === undefined ? undefined : await readRelayLogs(opts.logs, io);
  const observed = logs === undefined ? undefined : observedSenders(logs, snapshot);
  const auditOptions = {
    exchangeServers: opts.exchangeServers, loadBalancers: opts.loadBalancers, only: opts.only, skip: opts.skip, suppressions,
    ...(observed === undefined ? {} : { observedSenders: observed }),
  };
  let doc: FindingsDocument;
  if (opts.verify) {
    // Each script is applied, re-audited and replayed in exrelay's model before it is shown.
    const proved = await auditWithProof(snapshot, auditOptions, now, observed === undefined ? {} : { observedSenders: observed });
    doc = proved.doc;
    if (opts.fixes !== undefined) {
      const combined = await combineFixes(proved.context, doc, proved.rescoped);
      for (const { finding, reason } of combined.leftOut) {
        io.stderr(`exrelay: warning: ${opts.fixes}: the fix of ${finding.rule} on ${finding.connector ?? finding.server ?? 'the organisation'} is left out: ${reason}\n`);
      }
      const path = await writeOutputFile(io, opts.fixes, combined.script === '' ? '# exrelay: no fix could be proved for this configuration\n' : combined.script);
      const also = combined.alsoResolved.length === 0 ? '' : `; ${combined.alsoResolved.length} more finding${combined.alsoResolved.length === 1 ? '' : 's'} resolved by them`;
      reportWritten(io, opts, `${path} (${combined.included.length} proved fix${combined.included.length === 1 ? '' : 'es'}${also})`);
    }
  } else doc = runAudit(snapshot, auditOptions, now);
  // Data the engine had to skip (e.g. a remote range that is not an address range) would
  // otherwise vanish silently from every selection-based finding.
  for (const problem of buildPolicy(snapshot).problems) io.stderr(`exrelay: warning: ${problem}\n`);
  if (opts.suppress !== undefined) {
    for (const w of suppressionWarnings(opts.suppress, suppressions, doc, now)) io.stderr(`exrelay: warning: ${w}\n`);
  }

  // Redaction happens on the finished documents, so every format leaves with the same placeholders.
  const redactor = opts.redact ? createRedactor() : null;
  redactor?.learn(snapshot);
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
      // The exit plan per sender (plan's defaults: target m365, no egress, no licence count).
      let exitPlan = logs === undefined ? undefined
        : planFromLogs(snapshot, logs, { target: 'm365', egress: new Map(), licences: null, worksheet: null, madeOn: now }, io).plan;
      if (redactor !== null && exitPlan !== undefined) exitPlan = JSON.parse(redactor.redactText(JSON.stringify(exitPlan))) as typeof exitPlan;
      output = renderReportHtml({
        snapshot: shownSnapshot, findings: shown, rules: RULE_INFO, policy: buildPolicy(shownSnapshot), generatedAt,
        ...(shownReplay === undefined ? {} : { replay: shownReplay }),
        ...(opts.replay === undefined ? {} : { replayFile: opts.replay }),
        ...(exitPlan === undefined ? {} : { exitPlan }),
      });
      break;
    }
  }

  if (opts.out !== undefined) {
    const path = await writeOutputFile(io, opts.out, output);
    // Say where the file is and what is in it (npm run demo relies on it); stdout stays empty
    // so that scripts redirecting it get nothing unexpected.
    const counts = SEVERITIES.map((s) => `${shown.summary[s]} ${s}`).join(', ');
    reportWritten(io, opts, `${path} (${shown.findings.length} findings: ${counts})`);
  } else io.stdout(output);

  ctx.setExitCode(opts.failOn !== undefined && gateFails(doc, opts.failOn) ? ExitCode.GateFailed : ExitCode.Ok);
}

export function registerAudit(program: Command, ctx: CommandContext): void {
  const cmd = program.command('audit')
    .summary('run every rule and print the findings (text, json, csv, or the HTML risk report)')
    .description('Run every audit rule (open relays, relay ranges covering Exchange servers or load balancers, shadowed and overlapping connectors, '
      + 'Basic auth without TLS, certificates, drift between servers) and print the findings. With --fail-on it is a gate for CI.')
    .argument('<INPUT...>', 'exports, folders or snapshots (merged into one configuration)')
    .option('--format <FORMAT>', 'text, json (exrelay.findings/1), html (the risk report) or csv', parseChoice(AUDIT_FORMATS), 'text')
    .option('--out <FILE>', 'write the output to FILE instead of standard output')
    .option('--fail-on <SEVERITY>', 'exit 1 when a finding is at this severity or worse (critical, high, medium, low, info)', parseSeverity)
    .option('--exchange-servers <IP,...>', 'Exchange server addresses besides those in the snapshot', parseIpList, [])
    .option('--load-balancers <IP,...>', 'load balancer addresses as Exchange sees them', parseIpList, [])
    .option('--only <RULE,...>', 'run only these rules (ids as in docs/rules/; checked against the catalogue)', parseList, [])
    .option('--skip <RULE,...>', 'do not run these rules', parseList, [])
    .option('--suppress <FILE>', 'accepted risks: JSON or YAML list of {rule, connector, reason, expires}')
    .option('--redact', 'replace host names, domains, addresses, users and thumbprints with placeholders (every format)', false)
    .option('--replay <FILE>', 'with --format html: a `replay --compare --format json` result to show before/after')
    .option('--as-of <DATE>', 'audit as on this day, YYYY-MM-DD (default today): end of support, suppression expiry', parseIsoDate)
    .option('--logs <LOGFILE_OR_DIR...>', 'protocol or message tracking logs: relay fixes keep exactly the hosts seen relaying, replay checks them, and with --format html the report gains the exit plan per sender')
    .option('--fixes <FILE>', 'write every proved fix as one ordered script (additions before removals, each cmdlet -ErrorAction Stop)')
    .option('--no-verify', 'do not prove the fixes (apply, re-audit, replay); every fix then says "not verified"');
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'the risk report for the customer, with the exit plan from the logs', run: 'exrelay audit exports/ --logs logs/ --format html --out report.html' },
    { what: 'proved fixes that keep the hosts seen relaying, as one script to review', run: 'exrelay audit exports/ --logs logs/ --fixes fixes.ps1' },
    { what: 'a CI gate on the change repository', run: 'exrelay audit after.json --fail-on high --format json --out findings.json' },
    { what: 'a report to share outside the customer', run: 'exrelay audit exports/ --format html --redact --suppress accepted.yaml --out report.html' },
  ]);
  cmd.action(async (inputs: string[], opts: AuditCliOptions) => { await auditCommand(inputs, opts, ctx); });
}

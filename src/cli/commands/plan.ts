// `exrelay plan INPUT... --logs LOGFILE_OR_DIR... [--worksheet FILE] [--target m365|se|postfix]
//  [--egress IP=PUBLIC,...] [--licences N] [--format text|json|csv|html] [--out FILE]`
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { renderExitPlanPage } from '../../emitters/report/exit-plan.js';
import { ExitCode, InputError } from '../../errors.js';
import { stableStringify } from '../../json.js';
import { buildPlan, parseEgress, parseLicences, type PlanOptions, type PlanResult } from '../../logs/plan.js';
import { renderPlanCsv, renderPlanText } from '../../logs/plan-render.js';
import { readLogs, type ReadResult } from '../../logs/reader.js';
import { readWorksheet } from '../../logs/worksheet.js';
import type { PlanTarget, Snapshot } from '../../model.js';
import type { CommandContext } from '../context.js';
import type { Io } from '../io.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot, readOptionFile } from '../load.js';
import { parseChoice, parseIsoDate, parseList } from '../options.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';

const PLAN_FORMATS = ['text', 'json', 'csv', 'html'] as const;
const PLAN_TARGETS: readonly PlanTarget[] = ['m365', 'se', 'postfix'];

interface PlanCliOptions extends QuietOption {
  logs: string[];
  worksheet?: string;
  target: PlanTarget;
  egress: string[];
  licences?: string;
  format: (typeof PLAN_FORMATS)[number];
  out?: string;
  asOf?: Date;
}

/** Reads the logs of `--logs` (protocol and message tracking) once; exit 2 when there are none. Shared with `audit --logs`. */
export async function readRelayLogs(paths: readonly string[], io: Io): Promise<ReadResult> {
  const result = await readLogs(paths.map((p) => resolve(io.cwd, p)));
  if (result.files === 0) throw new InputError(paths.join(' '), null, 'no SMTP receive protocol logs or message tracking logs found');
  for (const w of result.warnings) io.stderr(`exrelay: warning: ${w.file}${w.line === null ? '' : `:${w.line}`}: ${w.message}\n`);
  return result;
}

/** The exit plan of a snapshot and the logs read (also the HTML report's exit-plan section). */
export function planFromLogs(snapshot: Snapshot, logs: ReadResult, options: PlanOptions, io: Io): PlanResult {
  const result = buildPlan(logs.aggregate, snapshot, options);
  for (const w of result.warnings) io.stderr(`exrelay: warning: ${w}\n`);
  return result;
}

export function registerPlan(program: Command, ctx: CommandContext): void {
  const cmd = program.command('plan')
    .summary('the exit plan per sender: Microsoft 365 path, reasons and blockers (or SE / Postfix)')
    .description('For every sender the logs show relaying today: what it does (anonymous or authenticated, internal or external recipients, volumes per day, '
      + 'sender domains), the path it should take by the default decision table (or the worksheet\'s decision), why, and what blocks it: shared NAT '
      + 'egress, a sender domain that is not accepted, Basic auth for SMTP AUTH and its end, external volume against the tenant\'s outbound limit. '
      + 'With --target se or postfix every sender stays on an on-premises relay of that kind.')
    .argument('<INPUT...>', 'exports, folders or snapshots (accepted domains and connectors)')
    .requiredOption('--logs <LOGFILE_OR_DIR...>', 'protocol logs and message tracking logs (as for exrelay logs)')
    .option('--worksheet <FILE>', 'the worksheet of `exrelay logs --worksheet`, filled in: its decision column overrides the default path')
    .option('--target <TARGET>', 'm365 (default), se or postfix', parseChoice(PLAN_TARGETS), 'm365')
    .option('--egress <IP=PUBLIC,...>', 'each sender\'s public egress address as Exchange Online would see it (NAT)', parseList, [])
    .option('--licences <N>', 'purchased Exchange Online licences: the tenant\'s external recipient limit is computed from it')
    .option('--format <FORMAT>', 'text, json (exrelay.plan/1), csv or html', parseChoice(PLAN_FORMATS), 'text')
    .option('--out <FILE>', 'write the output to FILE instead of standard output')
    .option('--as-of <DATE>', 'the day the plan is made on, YYYY-MM-DD (default today): dates such as Basic auth\'s end are said relative to it', parseIsoDate);
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'the plan for Microsoft 365, for a tenant of 400 licences', run: 'exrelay plan exports/ --logs logs/ --licences 400' },
    { what: 'with the customer\'s worksheet and the firewall\'s NAT table', run: 'exrelay plan exports/ --logs logs/ --worksheet senders.csv --egress 10.20.60.11=203.0.113.10 --licences 400 --format csv --out plan.csv' },
    { what: 'the plan for the Exchange Online script (emit exo reads it)', run: 'exrelay plan exports/ --logs logs/ --licences 400 --format json --out plan.json' },
    { what: 'everything stays on premises, on Subscription Edition', run: 'exrelay plan exports/ --logs logs/ --target se --format html --out plan.html' },
  ]);
  cmd.action(async (inputs: string[], opts: PlanCliOptions) => {
    const { io } = ctx;
    const egress = parseEgress(opts.egress);
    const licences = opts.licences === undefined ? null : parseLicences(opts.licences);
    const worksheet = opts.worksheet === undefined ? null
      : { file: opts.worksheet, entries: readWorksheet((await readOptionFile(io, opts.worksheet)).text, opts.worksheet) };
    const snapshot = await loadConnectorSnapshot(inputs, io, { logsReadElsewhere: opts.logs });
    const { plan } = planFromLogs(snapshot, await readRelayLogs(opts.logs, io), { target: opts.target, egress, licences, worksheet, madeOn: opts.asOf ?? new Date() }, io);
    let output: string;
    switch (opts.format) {
      case 'json': output = stableStringify(plan); break;
      case 'csv': output = renderPlanCsv(plan); break;
      case 'html': output = renderExitPlanPage(plan); break;
      case 'text': output = renderPlanText(plan); break;
    }
    if (opts.out !== undefined) {
      const path = await writeOutputFile(io, opts.out, output);
      const blocked = plan.senders.filter((s) => s.blockers.length > 0).length;
      reportWritten(io, opts, `${path} (${plan.senders.length} senders, ${blocked} with blockers)`);
    } else io.stdout(output);
    ctx.setExitCode(ExitCode.Ok);
  });
}

// `exrelay logs LOGFILE_OR_DIR... [--config INPUT...] [--format text|json] [--scenarios FILE]`
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ExitCode, InputError } from '../../errors.js';
import { stableStringify } from '../../json.js';
import { buildLogsDocument } from '../../logs/aggregate.js';
import { logConfigFrom, type LogConfig } from '../../logs/config.js';
import { readLogs } from '../../logs/reader.js';
import { buildScenarios } from '../../logs/scenarios.js';
import { serverOfConnector } from '../../logs/session.js';
import { renderLogsText } from '../../logs/text.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot } from '../load.js';
import { parseChoice } from '../options.js';
import { withExamples } from '../help.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';

interface LogsOptions extends QuietOption { config?: string[]; format: 'text' | 'json'; scenarios?: string }

/** A progress bar is worth drawing only when reading takes a while. */
const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

export function registerLogs(program: Command, ctx: CommandContext): void {
  const cmd = program.command('logs')
    .summary('who relays today: senders per connector from SMTP receive protocol logs')
    .description('Read SMTP receive protocol logs (plain or gzip; detected by content): per connector and remote address, who sent what '
      + '(anonymous or authenticated, TLS, sender and recipient domains, counts, first and last seen). With --config, recipients are classed internal or '
      + 'external by the accepted domains and remote ranges that saw no traffic are listed.')
    .argument('<LOGFILE_OR_DIR...>', 'protocol log files (RECV*.LOG, plain or .gz) or folders of them, read recursively')
    .option('--config <INPUT...>', 'configuration exports or snapshot: class recipients by accepted domain and list remote ranges that saw no traffic')
    .option('--format <FORMAT>', 'text or json (exrelay.logs/1)', parseChoice(['text', 'json'] as const), 'text')
    .option('--scenarios <FILE>', 'also write an exrelay.scenarios/1 file that replays each distinct sender (for replay --compare)');
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'who relays through which connector, and which ranges are unused', run: 'exrelay logs logs/ --config exports/' },
    { what: 'the real traffic as scenarios, to replay against the new server', run: 'exrelay logs logs/ --config exports/ --scenarios traffic.json' },
    { what: 'the inventory for a spreadsheet or a script', run: 'exrelay logs RECV2016102*.LOG --format json > senders.json' },
  ]);
  cmd.action(async (paths: string[], opts: LogsOptions) => {
      const { io } = ctx;
      const config: LogConfig | null = opts.config === undefined ? null : logConfigFrom(await loadSnapshot(opts.config, io));
      let bar: cliProgress.SingleBar | null = null;
      const result = await readLogs(paths.map((p) => resolve(io.cwd, p)), {
        onProgress: (done, total) => {
          if (!io.stderrIsTTY || total < PROGRESS_MIN_BYTES) return;
          if (bar === null) {
            bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'reading logs [{bar}] {percentage}% {value}/{total} MB', clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
            bar.start(Math.ceil(total / 1048576), 0);
          }
          bar.update(Math.floor(done / 1048576));
        },
      }).finally(() => { bar?.stop(); });
      if (result.files === 0) throw new InputError(paths.join(' '), null, 'no SMTP receive protocol logs found');
      for (const w of result.warnings) io.stderr(`exrelay: warning: ${w.file}${w.line === null ? '' : `:${w.line}`}: ${w.message}\n`);

      const doc = buildLogsDocument(result.aggregate, { files: result.files, lines: result.lines }, config);
      if (opts.scenarios !== undefined) {
        const scenarios = buildScenarios(result.aggregate, config);
        const target = await writeOutputFile(io, opts.scenarios, stableStringify(scenarios));
        reportWritten(io, opts, `${target} (${scenarios.scenarios.length} scenarios from ${doc.senders.length} senders)`);
      }
      if (opts.format === 'json') io.stdout(stableStringify(doc));
      else {
        const usage = doc.senders.map((s) => ({ connector: s.connector, server: serverOfConnector(s.connector), remoteIp: s.remoteIp }));
        io.stdout(renderLogsText(doc, { notJudged: config === null ? [] : config.notJudged(usage) }));
      }
      ctx.setExitCode(ExitCode.Ok);
  });
}

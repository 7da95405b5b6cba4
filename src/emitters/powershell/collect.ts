// `exrelay collect-script`: the PowerShell script a consultant runs in the customer's Exchange
// Management Shell. It exports, as CLIXML in UTF-8, everything `import` and `logs` read. The
// script text lives in templates/collect.ps1.hbs; this module only prepares the defaults that
// the consultant chose on our command line, quoted as PowerShell literals.
import { psQuote, psQuoteList } from '../../powershell/quote.js';
import { template } from '../templates.js';

export interface CollectScriptOptions {
  /** Default for the script's -OutputFolder; null: exrelay-export-COMPUTER-DATE in the current directory. */
  outputFolder: string | null;
  /** Default for -Server; empty: every Exchange server. */
  servers: readonly string[];
  /** Whether -IncludeProtocolLogs is on by default. */
  includeProtocolLogs: boolean;
  /** Default for -Days. */
  days: number;
  /** exrelay's version, named in the script's help. */
  version: string;
}

interface CollectView {
  version: string;
  outputFolder: string;
  servers: string;
  includeProtocolLogs: boolean;
  days: number;
}

/** The collect script (text, LF line ends, ASCII unless a default holds other characters). */
export function renderCollectScript(options: CollectScriptOptions): string {
  const render = template<CollectView>('collect.ps1.hbs', { text: true });
  return render({
    version: options.version,
    outputFolder: psQuote(options.outputFolder ?? ''),
    servers: psQuoteList(options.servers),
    includeProtocolLogs: options.includeProtocolLogs,
    days: options.days,
  });
}

// Decides what a file is from its content, never its name (contract: "its kind detected by
// content"). Only the first few KB are looked at, so detection is cheap on huge files.
import type { SourceText } from '../source.js';
import { looksLikeConsoleText } from './console-text.js';
import type { ExportKind } from './types.js';

const HEAD = 16384;
const LOG_TIMESTAMP = /^"?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z,/;

export function detectKind(source: SourceText): ExportKind {
  const head = source.text.slice(0, HEAD).replace(/^[\uFEFF\s\u3000]+/, '');
  if (head === '') return 'unsupported';

  if (head.startsWith('#< CLIXML')) return 'clixml';
  if (head.startsWith('<')) {
    const afterDecl = head.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/^(<!--[\s\S]*?-->\s*)*/, '');
    if (/^<Objs[\s>]/.test(afterDecl) || /^<Obj[\s>]/.test(afterDecl)) return 'clixml';
    // Any other XML, DOCTYPE included, goes to the CLIXML reader so that it is refused with a line.
    if (/^<!DOCTYPE/i.test(afterDecl) || /^<!ENTITY/i.test(afterDecl)) return 'clixml';
    // Console output pasted inside a PowerShell block comment (`<# ... #>`) is still console text.
    if (!/^<[A-Za-z?!]/.test(afterDecl) && looksLikeConsoleText(head)) return 'console-text';
    return 'unsupported';
  }

  // A scenarios file (JSON or YAML) often sits beside the exports it belongs to.
  if (/^\{[\s\S]{0,200}?"schema"\s*:\s*"exrelay\.scenarios\//.test(head) || /^schema:\s*["']?exrelay\.scenarios\//m.test(head.slice(0, 2000))) {
    return 'scenarios';
  }
  if (head.startsWith('{')) {
    return /"schema"\s*:\s*"exrelay\.snapshot\//.test(head) ? 'snapshot' : 'json';
  }
  // `[` opens JSON, but also a `[PS] C:\>` prompt line in console captures.
  if (/^\[\s*([{"\]\d-]|true|false|null)/.test(head)) return 'json';

  const lines = head.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.some((l) => /^#Log-type:\s*SMTP Receive Protocol Log/i.test(l) || /^#Fields:\s*date-time,connector-id/i.test(l))) {
    return 'protocol-log';
  }
  const stamped = lines.filter((l) => LOG_TIMESTAMP.test(l)).length;
  if (stamped > 0 && stamped >= lines.length * 0.4) return 'protocol-log';

  const first = lines[0] ?? '';
  if (/^#TYPE\s+\S/.test(first)) return 'csv';
  if (/^"[^"]*"(,"[^"]*")+$/.test(first)) return 'csv';
  if (looksLikePlainCsv(lines)) return 'csv';

  return 'console-text';
}

// A header without quotes (hand-made or PowerShell 7 with -UseQuotes Never): a comma-separated
// list of identifiers and the same number of commas on the next lines.
function looksLikePlainCsv(lines: readonly string[]): boolean {
  const header = lines[0] ?? '';
  if (!/^[A-Za-z_][\w ]*(,[A-Za-z_][\w ]*)+$/.test(header)) return false;
  const commas = header.split(',').length;
  const body = lines.slice(1, 6);
  return body.length > 0 && body.every((l) => l.split(',').length >= commas && !/\s:\s/.test(l));
}

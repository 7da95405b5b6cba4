// tree-sitter-powershell rejects a common and valid form: a comma list of bare words as a
// parameter argument (`-AuthMechanism Tls,BasicAuth`, `-RemoteIPRanges 10.0.0.1,10.0.0.2`,
// `-Bindings 0.0.0.0:25,[::]:25`; emitters-notes). PowerShell reads each item as a string, so
// the script means exactly `-AuthMechanism 'Tls','BasicAuth'`. We rewrite such lists to that
// quoted form before parsing. The lexer below skips comments and every string form, so text
// inside quotes is never touched, and line breaks are kept so reported lines stay true.

const SQ = "'\u2018\u2019\u201A\u201B";
const DQ = '"\u201C\u201D\u201E';
// A bare word item: no space, quote, comma, or character that starts another construct.
const BARE = `[^\\s,;|(){}@$\`${SQ}${DQ}#]+`;
// Items already quoted may sit in the same list (`10.0.0.1, '10.1.0.0(255.255.0.0)'`).
const ITEM = `(?:${BARE}|'[^'\\n]*'|"[^"\\n$\`]*")`;
// A lone bracketed IPv6 binding (`-Bindings [::]:25`) is a bare word to PowerShell too, but the
// grammar reads the `[` as a type literal and fails.
const BRACKETED = /^(-[A-Za-z][\w-]*)(:|[ \t]+)(\[[0-9A-Fa-f:.%]+\](?::\d+)?)(?=$|[\s;|)}])/;
const LIST = new RegExp(`^(-[A-Za-z][\\w-]*)(:|[ \\t]+)(${ITEM}(?:[ \\t]*,[ \\t]*${ITEM})+)(?=$|[\\s;|)}])`);

export interface NormalisedScript { text: string; rewrittenLines: number[] }

/** Where the string literal opening at `start` ends (just past its closing quote). */
function quotedEnd(text: string, start: number, quotes: string, backtickEscapes: boolean): number {
  let j = start + 1;
  while (j < text.length) {
    const d = text[j] ?? '';
    if (backtickEscapes && d === '`') { j += 2; continue; }
    if (quotes.includes(d) && d !== '') {
      if (quotes.includes(text[j + 1] ?? '') && (text[j + 1] ?? '') !== '') { j += 2; continue; }
      break;
    }
    j++;
  }
  return j + 1;
}

export function normaliseCommaLists(text: string): NormalisedScript {
  let out = '';
  let line = 1;
  const rewritten = new Set<number>();
  let i = 0;
  let atWordStart = true;
  while (i < text.length) {
    const c = text[i] ?? '';
    const next = text[i + 1] ?? '';
    // Comments: `# …` to end of line, `<# … #>` blocks.
    if (c === '<' && next === '#') {
      const end = text.indexOf('#>', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      const chunk = text.slice(i, stop);
      line += chunk.split('\n').length - 1;
      out += chunk;
      i = stop;
      continue;
    }
    if (c === '#' && atWordStart) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
      continue;
    }
    // Here-strings: @' … '@ and @" … "@ (closing marker at the start of a line).
    if (c === '@' && (SQ.includes(next) || DQ.includes(next)) && (text[i + 2] === '\n' || text[i + 2] === '\r')) {
      const closer = new RegExp(`\\n[${SQ.includes(next) ? SQ : DQ}]@`, 'g');
      closer.lastIndex = i + 2;
      const m = closer.exec(text);
      const stop = m === null ? text.length : m.index + m[0].length;
      const chunk = text.slice(i, stop);
      line += chunk.split('\n').length - 1;
      out += chunk;
      i = stop;
      continue;
    }
    // Quoted strings: a doubled quote character is an escaped quote; inside double quotes a
    // backtick escapes the next character too.
    if ((SQ.includes(c) || DQ.includes(c)) && c !== '') {
      const stop = quotedEnd(text, i, SQ.includes(c) ? SQ : DQ, DQ.includes(c));
      const chunk = text.slice(i, stop);
      line += chunk.split('\n').length - 1;
      out += chunk;
      i = stop;
      atWordStart = false;
      continue;
    }
    if (c === '-' && atWordStart) {
      const lineEnd = text.indexOf('\n', i);
      const rest = text.slice(i, lineEnd < 0 ? text.length : lineEnd);
      const m = LIST.exec(rest) ?? BRACKETED.exec(rest);
      if (m !== null) {
        const items = (m[3] ?? '').startsWith('[') ? [m[3] ?? ''] : (m[3] ?? '').match(new RegExp(ITEM, 'g')) ?? [];
        // Numbers stay numbers (`-Ports 25,587`), everything else becomes a quoted string.
        const quoted = items.map((s) => (/^\d+$/.test(s) || /^['"]/.test(s) ? s : `'${s}'`)).join(',');
        out += `${m[1] ?? ''}${m[2] ?? ''}${quoted}`;
        i += m[0].length;
        rewritten.add(line);
        atWordStart = false;
        continue;
      }
    }
    if (c === '\n') line++;
    atWordStart = /[\s;|({=,]/.test(c);
    out += c;
    i++;
  }
  return { text: out, rewrittenLines: [...rewritten] };
}

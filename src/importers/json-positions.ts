// Where things are in a JSON text, for messages that name a line. JSON.parse keeps no
// positions, so this small scanner walks the text only when a position is needed (an error,
// or the start of each top-level record) and never builds values.

/** Offset just past the JSON value that starts at or after `i` (skipping whitespace). */
function skipValue(text: string, i: number): number {
  i = skipWs(text, i);
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    i++;
    for (;;) {
      i = skipWs(text, i);
      if (text[i] === close) return i + 1;
      if (i >= text.length) return i;
      if (c === '{') { i = skipString(text, i); i = skipWs(text, i) + 1; }
      i = skipValue(text, i);
      i = skipWs(text, i);
      if (text[i] === ',') i++;
    }
  }
  for (;;) {
    const c = text.charCodeAt(i);
    if (Number.isNaN(c) || c === 32 || c === 10 || c === 13 || c === 9 || c === 44 || c === 93 || c === 125) return i;
    i++;
  }
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++; else return i;
  }
}

function skipString(text: string, i: number): number {
  // Jump from quote to quote; a quote preceded by an odd number of backslashes is escaped.
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let backslashes = 0;
    for (let k = q - 1; k > i && text.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Start offsets of the elements of the top-level array (or [offset of the object] for an object). */
export function topLevelOffsets(text: string): number[] {
  const start = skipWs(text, 0);
  if (text[start] !== '[') return [start];
  const out: number[] = [];
  let i = start + 1;
  for (;;) {
    i = skipWs(text, i);
    if (i >= text.length || text[i] === ']') return out;
    out.push(i);
    i = skipWs(text, skipValue(text, i));
    if (text[i] === ',') i++;
  }
}

/** Offset of the value at `path` (object keys and array indexes), or of the deepest part found. */
export function offsetOfPath(text: string, path: ReadonlyArray<string | number>): number {
  let i = skipWs(text, 0);
  for (const step of path) {
    const c = text[i];
    if (typeof step === 'number' && c === '[') {
      i++;
      for (let n = 0; ; n++) {
        i = skipWs(text, i);
        if (i >= text.length || text[i] === ']') return i;
        if (n === step) break;
        i = skipWs(text, skipValue(text, i));
        if (text[i] === ',') i++;
      }
    } else if (typeof step === 'string' && c === '{') {
      i++;
      let found = false;
      while (!found) {
        i = skipWs(text, i);
        if (i >= text.length || text[i] === '}') return i;
        const keyStart = i;
        i = skipString(text, i);
        let key: unknown = null;
        try { key = JSON.parse(text.slice(keyStart, i)); } catch { return keyStart; }
        i = skipWs(text, i) + 1; // ':'
        i = skipWs(text, i);
        if (key === step) { found = true; break; }
        i = skipWs(text, skipValue(text, i));
        if (text[i] === ',') i++;
      }
    } else {
      return i;
    }
  }
  return i;
}

/** Character offset of a JSON.parse SyntaxError, from its message (Node prints "position N"). */
export function syntaxErrorOffset(error: unknown, text: string): number | null {
  if (!(error instanceof Error)) return null;
  const pos = /position (\d+)/.exec(error.message);
  if (pos !== null) return Number(pos[1]);
  const lc = /line (\d+) column (\d+)/.exec(error.message);
  if (lc !== null) {
    let line = 1;
    let i = 0;
    while (line < Number(lc[1]) && i < text.length) { if (text[i] === '\n') line++; i++; }
    return i + Number(lc[2]) - 1;
  }
  if (/end of JSON input/i.test(error.message)) return text.length;
  return null;
}

/**
 * Offset of the first syntax error in `text` (a small validating scan used only after
 * JSON.parse has failed, because not every Node version reports a position), or null.
 */
export function findJsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = (): void => { while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++; };
  const fail = (): never => { throw new RangeError(String(i)); };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) { i++; return; }
      for (;;) {
        if (c === '{') { ws(); if (text[i] !== '"') fail(); string(); ws(); if (text[i] !== ':') fail(); i++; }
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) { i++; return; }
        fail();
      }
    }
    if (c === '"') { string(); return; }
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (lit === null) fail();
    i += (lit as RegExpExecArray)[0].length;
  };
  const string = (): void => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if ((text.charCodeAt(i)) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (error) {
    return error instanceof RangeError ? Number(error.message) : null;
  }
}

/**
 * Offset of the first `[` or `{` that opens nesting level `max + 1` of a JSON text (strings
 * skipped), or null. One linear pass, no recursion.
 */
export function nestingBeyond(text: string, max: number): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { i = skipString(text, i) - 1; continue; }
    if (c === 91 || c === 123) { if (++depth > max) return i; }
    else if (c === 93 || c === 125) depth--;
  }
  return null;
}

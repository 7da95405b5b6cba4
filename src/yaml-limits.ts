// Limits for the small JSON/YAML documents customers and consultants hand us (scenarios,
// users, suppressions). The `yaml` package is a correct but slow, recursive parser: a single
// 1 MB line of `,` or `"` takes it tens of seconds, and a few thousand nested `[` overflow its
// stack. Such a file is never a real scenarios file, so it is refused up front, by a linear
// scan, with the file and line — before the parser sees it.
import { InputError } from './errors.js';

export const YAML_LIMITS = {
  /** Whole document, in characters: thousands of scenarios fit; the parser reads ~1 MB/s. */
  maxChars: 8 * 1024 * 1024,
  /** One line, in characters (JSON that JSON.parse accepts may be one long line). */
  maxLineChars: 64 * 1024,
  /** Open `[` / `{` not yet closed (quotes are not tracked: over-counting only errs towards refusal). */
  maxFlowDepth: 128,
  /** Columns of indentation plus block indicators (`- `, `? `, `: `) that start a line. */
  maxIndent: 1024,
} as const;

/**
 * Options for every parseDocument of a customer file: warnings (e.g. "Keys with collection
 * values will be stringified") stay in the document instead of going to the process's stderr.
 */
export const QUIET_YAML = { logLevel: 'error' } as const;

/**
 * Throws InputError (file and line) when `text` is larger or deeper than a real document can be.
 * `json: true` when the text already parsed as JSON: its lines may then be long, since JSON
 * tools often write one line and JSON.parse reads it in linear time.
 */
export function checkYamlLimits(file: string, text: string, options: { json?: boolean } = {}): void {
  if (text.length > YAML_LIMITS.maxChars) {
    throw new InputError(file, null, `larger than ${YAML_LIMITS.maxChars / (1024 * 1024)} MB; a scenarios, users or suppressions file is far smaller`);
  }
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      if (options.json !== true && i - lineStart > YAML_LIMITS.maxLineChars) throw longLine(file, line);
      line++;
      lineStart = i + 1;
      atLineStart = true;
      continue;
    }
    if (atLineStart) {
      // space, tab, or an indicator followed by a blank: still indentation for nesting purposes
      const next = text.charCodeAt(i + 1);
      const indicator = (c === 45 || c === 63 || c === 58) && (next === 32 || next === 9);
      if (c === 32 || c === 9 || indicator) {
        if (indicator) i++;
        continue;
      }
      // a blank line of any width nests nothing; content this far in does
      if (i - lineStart > YAML_LIMITS.maxIndent) {
        throw new InputError(file, line, `nested more than ${YAML_LIMITS.maxIndent} levels deep by indentation; not a scenarios, users or suppressions file`);
      }
      atLineStart = false;
    }
    if (c === 91 || c === 123) {
      if (++depth > YAML_LIMITS.maxFlowDepth) {
        throw new InputError(file, line, `more than ${YAML_LIMITS.maxFlowDepth} nested [ or { here; not a scenarios, users or suppressions file`);
      }
    } else if ((c === 93 || c === 125) && depth > 0) {
      depth--;
    }
  }
  if (options.json !== true && text.length - lineStart > YAML_LIMITS.maxLineChars) throw longLine(file, line);
}

function longLine(file: string, line: number): InputError {
  return new InputError(file, line, `line longer than ${YAML_LIMITS.maxLineChars / 1024} KB; not a scenarios, users or suppressions file`);
}

/**
 * Runs a yaml value conversion (toJS/toJSON), which throws plain errors for an alias whose
 * anchor comes later or too many aliases ("billion laughs"): those become the file's InputError.
 */
export function convertYaml<T>(file: string, line: number | null, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (error instanceof InputError) throw error;
    const why = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
    throw new InputError(file, line, `not valid YAML: ${why}`);
  }
}

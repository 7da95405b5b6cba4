// Export-Clixml (and PSRP fragments, and the `#< CLIXML` stream form) → PsRecord[].
//
// CLIXML is a small, regular XML dialect (reference §9.1), and exports get large (a
// remote-session export with a million RemoteIPRanges strings is tens of MB), so this is a
// single-pass tokenizer that builds PsValues directly instead of a DOM: one indexOf per tag,
// a sticky regex for the tag itself, a fast path for leaf elements (<S>, <I32>, ...), and
// SerializationData blobs skipped without being copied. Positions come from offsets
// (SourceText.lineOf), so errors and records name their line.
//
// Value mapping: <S>/<DT>/<G>/<TS>/... → string (with `_xHHHH_` unescaped), <B> → boolean,
// numeric kinds → number, <Nil/> → null, an <Obj> with <LST>/<IE>/<STK>/<QUE> → array of its
// items, with <DCT> → object, an enum (System.Enum in its type names) → its ToString
// (`Tls, BasicAuth`), any other nested <Obj> → an object of its properties plus `ToString`.
// <Ref>/<TNRef> reuse what their RefId named earlier in the document.
import { InputError } from '../errors.js';
import type { SourceText } from '../source.js';
import { setPsKey, type PsRecord, type PsValue } from './types.js';

export interface ClixmlParsed {
  value: PsRecord[];
  /** The file is the `#< CLIXML` stream form (powershell -OutputFormat xml), not Export-Clixml. */
  streamForm: boolean;
  /** Stream items (progress, error, warning records, top-level strings) that were not objects. */
  streamItems: number;
}

const LEAF_KINDS = new Set([
  'S', 'B', 'I32', 'I64', 'I16', 'U16', 'U32', 'U64', 'By', 'SB', 'Db', 'Sg', 'D', 'DT', 'TS', 'G', 'URI', 'Version',
  'C', 'XD', 'SBK', 'SS', 'BA', 'ToString', 'T',
]);
const NUMBER_KINDS = new Set(['I32', 'I16', 'U16', 'U32', 'By', 'SB', 'Db', 'Sg', 'D', 'I64', 'U64']);
const LIST_KINDS = new Set(['LST', 'IE', 'STK', 'QUE']);

/**
 * Limits no real export comes near (PowerShell nests a few levels and writes N, RefId and S
 * attributes only): deeper XML would overflow the recursive code that later walks the values,
 * and a tag is scanned in linear time but need not be megabytes long.
 */
export const CLIXML_LIMITS = { maxDepth: 256, maxTagChars: 64 * 1024, maxAttributes: 64 } as const;

interface Attrs { N?: string; RefId?: string; S?: string }

interface ObjFrame {
  kind: 'Obj';
  name: string | undefined;
  refId: string | undefined;
  stream: string | undefined;
  start: number;
  typeNames: string[];
  toString: string | undefined;
  props: Map<string, PsValue>;
  propLines: Map<string, number> | null;
  list: PsValue[] | null;
  dict: { [key: string]: PsValue } | null;
  primitive: PsValue | undefined;
  top: boolean;
}
interface ContainerFrame { kind: 'Props' | 'MS' | 'TN' | 'LST' | 'DCT' | 'En' | 'Objs' | 'skip'; tag: string; name: string | undefined; refId: string | undefined; owner: ObjFrame | null; items: PsValue[]; key: PsValue | undefined; value: PsValue | undefined; typeNames: string[] }
type Frame = ObjFrame | ContainerFrame;

function decodeEntities(text: string, source: SourceText, at: number): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);?/g, (whole, ent: string) => {
    if (ent === 'lt') return '<';
    if (ent === 'gt') return '>';
    if (ent === 'amp') return '&';
    if (ent === 'quot') return '"';
    if (ent === 'apos') return "'";
    if (ent.startsWith('#')) {
      const code = ent.startsWith('#x') ? Number.parseInt(ent.slice(2), 16) : Number.parseInt(ent.slice(1), 10);
      // XML allows no reference to a code point beyond Unicode (String.fromCodePoint would throw)
      if (!(code <= 0x10ffff)) throw new InputError(source.name, source.lineOf(at), `XML character reference ${whole} is not a Unicode character`);
      return String.fromCodePoint(code);
    }
    throw new InputError(source.name, source.lineOf(at), `undefined XML entity ${whole}`);
  });
}

/** PowerShell's `_xHHHH_` escapes (control characters, CR/LF, and literal `_x` sequences). */
export function unescapePs(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9a-fA-F]{4})_/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function isNameChar(c: number, first: boolean): boolean {
  // letters and _ start a name; digits . : - may follow
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (!first && ((c >= 48 && c <= 57) || c === 46 || c === 58 || c === 45));
}

function isXmlSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * `name="value"` pairs, scanned once from left to right (a regex with a global flag re-tried
 * every position of an unterminated attribute: quadratic, minutes for 400 KB). Anything that
 * is not a well-formed attribute list is malformed XML.
 */
function parseAttrs(text: string, source: SourceText, at: number): Attrs {
  const attrs: Attrs = {};
  const bad = (why: string): never => { throw new InputError(source.name, source.lineOf(at), `malformed XML tag: ${why}`); };
  let i = 0;
  let count = 0;
  for (;;) {
    const before = i;
    while (i < text.length && isXmlSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) return attrs;
    if (i === before) bad('attributes must be separated by white space');
    const nameStart = i;
    if (!isNameChar(text.charCodeAt(i), true)) bad('an attribute name is expected');
    while (i < text.length && isNameChar(text.charCodeAt(i), false)) i++;
    const key = text.slice(nameStart, i);
    while (i < text.length && isXmlSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3d) bad(`attribute ${key.slice(0, 40)} has no value`);
    i++;
    while (i < text.length && isXmlSpace(text.charCodeAt(i))) i++;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") bad(`attribute ${key.slice(0, 40)} has no quoted value`);
    const end = text.indexOf(quote as string, i + 1);
    if (end === -1) bad(`attribute ${key.slice(0, 40)} has no closing quote`);
    if (++count > CLIXML_LIMITS.maxAttributes) bad(`more than ${CLIXML_LIMITS.maxAttributes} attributes`);
    const value = decodeEntities(text.slice(i + 1, end), source, at);
    i = end + 1;
    if (key === 'N') attrs.N = unescapePs(value);
    else if (key === 'RefId') attrs.RefId = value;
    else if (key === 'S') attrs.S = value;
  }
}

function leafValue(kind: string, raw: string): PsValue {
  if (kind === 'B') return raw.trim().toLowerCase() === 'true';
  if (NUMBER_KINDS.has(kind)) {
    const t = raw.trim();
    const n = Number(t);
    if (t === '' || Number.isNaN(n)) return t;
    // 64-bit values beyond 2^53 keep their digits.
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(t) ? n : t;
  }
  return unescapePs(raw);
}

function isEnumType(typeNames: readonly string[]): boolean {
  return typeNames.some((t) => t === 'System.Enum' || t === 'Deserialized.System.Enum');
}

function objValue(frame: ObjFrame): PsValue {
  if (frame.list !== null) return frame.list;
  if (frame.dict !== null) return frame.dict;
  if (isEnumType(frame.typeNames)) return frame.toString ?? frame.primitive ?? null;
  if (frame.props.size === 0) {
    if (frame.toString !== undefined) return frame.toString;
    return frame.primitive ?? null;
  }
  const out: { [name: string]: PsValue } = { ToString: frame.toString ?? null };
  for (const [k, v] of frame.props) if (k !== 'ToString') setPsKey(out, k, v);
  return out;
}

function stripPreamble(text: string): { start: number; streamForm: boolean } {
  let i = 0;
  while (i < text.length && /[\s\uFEFF]/.test(text[i] ?? '')) i++;
  if (text.startsWith('#< CLIXML', i)) {
    const nl = text.indexOf('\n', i);
    return { start: nl === -1 ? text.length : nl + 1, streamForm: true };
  }
  return { start: i, streamForm: false };
}

/** Parses CLIXML text; throws InputError (with line) on malformed XML or DOCTYPE/ENTITY. */
export function parseClixml(source: SourceText): ClixmlParsed {
  const text = source.text;
  const { start, streamForm } = stripPreamble(text);
  const records: PsRecord[] = [];
  const objRefs = new Map<string, PsValue>();
  const tnRefs = new Map<string, string[]>();
  const stack: Frame[] = [];
  // Kept beside the stack so that "innermost Obj" and "at the root" are O(1) even for inputs
  // nested thousands deep.
  const objStack: ObjFrame[] = [];
  let nonRootFrames = 0;
  const push = (frame: Frame, at: number): void => {
    if (stack.length >= CLIXML_LIMITS.maxDepth) fail(at, `XML nested more than ${CLIXML_LIMITS.maxDepth} elements deep (an export nests a few levels)`);
    stack.push(frame);
    if (frame.kind === 'Obj') objStack.push(frame);
    if (frame.kind !== 'Objs') nonRootFrames++;
  };
  const pop = (): Frame | undefined => {
    const frame = stack.pop();
    if (frame !== undefined) {
      if (frame.kind === 'Obj') objStack.pop();
      if (frame.kind !== 'Objs') nonRootFrames--;
    }
    return frame;
  };
  let streamItems = 0;
  let sawRoot = false;
  let pos = start;
  const fail = (at: number, message: string): never => { throw new InputError(source.name, source.lineOf(at), message); };

  // Delivers a finished value to whatever encloses it.
  const deliver = (value: PsValue, name: string | undefined, at: number, kindOfChild: string): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      streamItems++;
      return;
    }
    switch (parent.kind) {
      case 'Obj':
        if (kindOfChild === 'ToString') parent.toString = typeof value === 'string' ? value : JSON.stringify(value);
        else if (name !== undefined) setProp(parent, name, value, at);
        else parent.primitive = value;
        return;
      case 'Props':
      case 'MS':
        if (name !== undefined && parent.owner !== null) setProp(parent.owner, name, value, at);
        return;
      case 'LST':
        parent.items.push(value);
        return;
      case 'En':
        if (name === 'Key') parent.key = value; else if (name === 'Value') parent.value = value;
        return;
      case 'TN':
        if (typeof value === 'string') parent.typeNames.push(value);
        return;
      case 'Objs':
        streamItems++;
        return;
      default:
        return;
    }
  };
  const setProp = (obj: ObjFrame, name: string, value: PsValue, at: number): void => {
    if (obj.props.has(name)) return; // Props before MS: the adapted property wins over a note of the same name
    obj.props.set(name, value);
    if (obj.propLines !== null) obj.propLines.set(name, source.lineOf(at));
  };
  const currentObj = (): ObjFrame | null => objStack[objStack.length - 1] ?? null;
  const insideRootLevel = (): boolean => nonRootFrames === 0;

  // The tag at `lt`, scanned by hand (no regex, no allocation besides the name): sets the tag*
  // variables; false when it is not a well-formed tag.
  let tagClosing = false;
  let tagKind = '';
  let tagAttrs = '';
  let tagSelfClosing = false;
  let tagEnd = 0;
  const readTag = (lt: number): boolean => {
    let i = lt + 1;
    tagClosing = text.charCodeAt(i) === 0x2f;
    if (tagClosing) i++;
    const nameStart = i;
    for (;;) {
      const c = text.charCodeAt(i);
      // letters, digits, _ . : -
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 58 || c === 45) i++;
      else break;
    }
    if (i === nameStart) return false;
    const first = text.charCodeAt(nameStart);
    if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95)) return false;
    tagKind = text.slice(nameStart, i);
    if (text.charCodeAt(i) === 0x3e) {
      tagAttrs = '';
      tagSelfClosing = false;
      tagEnd = i + 1;
      return true;
    }
    const gt = text.indexOf('>', i);
    if (gt === -1) return false;
    if (gt - lt > CLIXML_LIMITS.maxTagChars) fail(lt, `XML tag longer than ${CLIXML_LIMITS.maxTagChars / 1024} KB`);
    let body = text.slice(i, gt);
    if (body.includes('<')) return false;
    tagSelfClosing = body.endsWith('/');
    if (tagSelfClosing) body = body.slice(0, -1);
    if (body !== '' && !/^\s/.test(body)) return false;
    if (tagClosing && (tagSelfClosing || body.trim() !== '')) return false;
    tagAttrs = body;
    tagEnd = gt + 1;
    return true;
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    if (lt === -1) {
      if (text.slice(pos).trim() !== '') fail(pos, 'text after the last XML element');
      break;
    }
    if (lt > pos && stack.length === 0 && text.slice(pos, lt).trim() !== '') fail(pos, 'text outside any XML element');
    const next = text.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end === -1) fail(lt, 'unterminated XML comment');
        pos = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', lt)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end === -1) fail(lt, 'unterminated CDATA section');
        pos = end + 3; // CDATA only occurs inside leaf elements, handled by the fast path below
        continue;
      }
      // <!DOCTYPE …>, <!ENTITY …>: refused, so no entity expansion ("billion laughs") can happen.
      fail(lt, 'XML with a DOCTYPE or entity declarations is refused (entity expansion is not allowed in an export)');
    }
    if (next === 0x3f /* ? */) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) fail(lt, 'unterminated XML processing instruction');
      pos = end + 2;
      continue;
    }
    if (!readTag(lt)) fail(lt, 'malformed XML tag');
    const closing = tagClosing;
    const kind = tagKind;
    const attrText = tagAttrs;
    const selfClosing = tagSelfClosing;
    pos = tagEnd;

    if (closing) {
      const frame = pop();
      if (frame === undefined) fail(lt, `closing tag </${kind}> without an opening tag`);
      const f = frame as Frame;
      const openTag = f.kind === 'Obj' ? 'Obj' : f.tag;
      if (openTag !== kind) fail(lt, `closing tag </${kind}> does not match <${openTag}>`);
      finish(f);
      continue;
    }

    if (!sawRoot) sawRoot = true;
    const attrs = attrText === '' ? {} : parseAttrs(attrText, source, lt);

    if (LEAF_KINDS.has(kind)) {
      let raw = '';
      if (!selfClosing) {
        const close = text.indexOf('</', pos);
        if (close === -1) fail(lt, `<${kind}> is not closed`);
        const inner = text.slice(pos, close);
        if (inner.includes('<')) {
          if (inner.includes('<![CDATA[')) raw = inner.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
          else fail(lt, `<${kind}> contains markup`);
        } else if (!(kind === 'BA' && attrs.N === 'SerializationData')) {
          raw = decodeEntities(inner, source, pos);
        }
        // The usual `</S>` is checked without the regex (one per leaf: millions in large exports).
        if (text.charCodeAt(close + 2 + kind.length) === 0x3e && text.startsWith(kind, close + 2)) {
          pos = close + 3 + kind.length;
        } else {
          if (!readTag(close) || !tagClosing || tagKind !== kind) fail(close, `closing tag does not match <${kind}>`);
          pos = tagEnd;
        }
      }
      if (kind === 'BA' && attrs.N === 'SerializationData') continue; // opaque BinaryFormatter blob
      if (kind === 'T') { deliver(unescapePs(raw), undefined, lt, 'T'); continue; }
      if (kind === 'ToString') { deliver(unescapePs(raw), undefined, lt, 'ToString'); continue; }
      deliver(leafValue(kind, raw), attrs.N, lt, kind);
      continue;
    }

    switch (kind) {
      case 'Nil':
        if (!selfClosing) { push(container('skip', kind, attrs, null), lt); }
        deliver(null, attrs.N, lt, kind);
        continue;
      case 'Ref': {
        const ref = attrs.RefId === undefined ? undefined : objRefs.get(attrs.RefId);
        if (!selfClosing) push(container('skip', kind, attrs, null), lt);
        deliver(ref ?? null, attrs.N, lt, kind);
        continue;
      }
      case 'TNRef': {
        const names = attrs.RefId === undefined ? undefined : tnRefs.get(attrs.RefId);
        const obj = currentObj();
        if (obj !== null && names !== undefined) obj.typeNames = names;
        if (!selfClosing) push(container('skip', kind, attrs, null), lt);
        continue;
      }
      case 'Objs': {
        const frame = container('Objs', kind, attrs, null);
        if (selfClosing) continue;
        push(frame, lt);
        continue;
      }
      case 'Obj': {
        const top = insideRootLevel();
        const frame: ObjFrame = {
          kind: 'Obj', name: attrs.N, refId: attrs.RefId, stream: attrs.S, start: lt, typeNames: [],
          toString: undefined, props: new Map(), propLines: top ? new Map() : null, list: null, dict: null,
          primitive: undefined, top,
        };
        if (selfClosing) { finish(frame); continue; }
        push(frame, lt);
        continue;
      }
      case 'TN': {
        const frame = container('TN', kind, attrs, currentObj());
        if (selfClosing) continue;
        push(frame, lt);
        continue;
      }
      case 'Props':
      case 'MS': {
        if (selfClosing) continue;
        push(container(kind, kind, attrs, currentObj()), lt);
        continue;
      }
      case 'DCT': {
        const obj = currentObj();
        if (obj !== null && obj.dict === null) obj.dict = {};
        if (selfClosing) continue;
        push(container('DCT', kind, attrs, obj), lt);
        continue;
      }
      case 'En': {
        if (selfClosing) continue;
        push(container('En', kind, attrs, currentObj()), lt);
        continue;
      }
      default:
        if (LIST_KINDS.has(kind)) {
          const obj = currentObj();
          const frame = container('LST', kind, attrs, obj);
          if (obj !== null && obj.list === null) obj.list = frame.items;
          if (selfClosing) continue;
          push(frame, lt);
          continue;
        }
        // Progress records (<PR>) and other stream-only elements: kept out of the values.
        if (!selfClosing) push(container('skip', kind, attrs, null), lt);
        continue;
    }
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1] as Frame;
    const tagName = open.kind === 'Obj' ? 'Obj' : open.tag;
    throw new InputError(source.name, source.lineOf(open.kind === 'Obj' ? open.start : text.length), `<${tagName}> is not closed before the end of the file`);
  }
  if (!sawRoot) throw new InputError(source.name, null, 'no CLIXML elements found');
  return { value: records, streamForm, streamItems };

  function container(kind: ContainerFrame['kind'], tag: string, attrs: Attrs, owner: ObjFrame | null): ContainerFrame {
    return { kind, tag, name: attrs.N, refId: attrs.RefId, owner, items: [], key: undefined, value: undefined, typeNames: [] };
  }

  function finish(frame: Frame): void {
    if (frame.kind === 'Obj') {
      if (frame.top) {
        if (frame.stream !== undefined) { streamItems++; return; }
        const record: PsRecord = {
          typeNames: frame.typeNames,
          props: frame.props,
          source: { file: source.name, line: source.lineOf(frame.start) },
        };
        if (frame.propLines !== null) record.propLines = frame.propLines;
        if (frame.toString !== undefined) record.text = frame.toString;
        if (frame.list !== null) record.props.set('@items', frame.list);
        if (frame.refId !== undefined) objRefs.set(frame.refId, objValue(frame));
        records.push(record);
        return;
      }
      const value = objValue(frame);
      if (frame.refId !== undefined) objRefs.set(frame.refId, value);
      deliver(value, frame.name, frame.start, 'Obj');
      return;
    }
    if (frame.kind === 'TN') {
      if (frame.refId !== undefined) tnRefs.set(frame.refId, frame.typeNames);
      if (frame.owner !== null) frame.owner.typeNames = frame.typeNames;
      return;
    }
    if (frame.kind === 'En') {
      const owner = frame.owner;
      if (owner !== null && owner.dict !== null) {
        const key = typeof frame.key === 'string' ? frame.key : JSON.stringify(frame.key ?? null);
        setPsKey(owner.dict, key, frame.value ?? null);
      }
      return;
    }
  }
}

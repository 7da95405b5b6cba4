// Reading properties the model keeps in `extra` (PowerShell names as exported; values may be
// JSON booleans or the text a console export printed).
import type { JsonValue } from '../json.js';

export function extraValue(extra: Record<string, JsonValue> | undefined, name: string): JsonValue | undefined {
  if (extra === undefined) return undefined;
  if (name in extra) return extra[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(extra)) if (key.toLowerCase() === lower) return extra[key];
  return undefined;
}

/** A boolean property, or `fallback` when absent or unreadable. */
export function extraBool(extra: Record<string, JsonValue> | undefined, name: string, fallback: boolean): boolean {
  const v = extraValue(extra, name);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase().replace(/^\$/, '');
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return fallback;
}

export function extraString(extra: Record<string, JsonValue> | undefined, name: string): string | null {
  const v = extraValue(extra, name);
  return typeof v === 'string' ? v : null;
}

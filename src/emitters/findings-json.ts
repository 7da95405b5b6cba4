// `audit --format json`: the exrelay.findings/1 document, keys in the model's order
// (schema, summary, findings, accepted, notRun), so golden files compare byte for byte.
import { stableStringify } from '../json.js';
import type { FindingsDocument } from '../model.js';

export function renderFindingsJson(doc: FindingsDocument): string {
  const out: FindingsDocument = { schema: doc.schema, summary: doc.summary, findings: doc.findings };
  if (doc.accepted !== undefined && doc.accepted.length > 0) out.accepted = doc.accepted;
  if (doc.notRun !== undefined && doc.notRun.length > 0) out.notRun = doc.notRun;
  return stableStringify(out);
}

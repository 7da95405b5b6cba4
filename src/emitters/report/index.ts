// The consultant's HTML risk report: one self-contained page (inline CSS and SVG, no script, no
// external request), rendered from a view built in TypeScript.
import type { FindingsDocument, Snapshot } from '../../model.js';
import type { PolicyIndex } from '../../policy/index.js';
import { template } from '../templates.js';
import { buildReportView, type ReportView } from './view.js';

export { buildReportView, type ReportView } from './view.js';
export { parseReplayComparison } from './replay.js';

export function renderReportHtml(input: {
  snapshot: Snapshot;
  findings: FindingsDocument;
  policy: PolicyIndex;
  replay?: unknown;
  /** The replay file's name, used in the error message when it is not a comparison result. */
  replayFile?: string;
  generatedAt: Date;
}): string {
  const view = buildReportView(input);
  return template<ReportView>('report.html.hbs')(view);
}

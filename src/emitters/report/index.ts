// The consultant's HTML risk report: one self-contained page (inline CSS and SVG, no script, no
// external request), rendered from a view built in TypeScript.
import { template } from '../templates.js';
import { buildReportView, type ReportInput, type ReportView } from './view.js';

export { buildReportView, type ReportInput } from './view.js';
export { parseReplayComparison } from './replay.js';

export function renderReportHtml(input: ReportInput): string {
  return template<ReportView>('report.html.hbs')(buildReportView(input));
}

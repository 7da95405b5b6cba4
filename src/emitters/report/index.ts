// The consultant's HTML risk report: one self-contained page (inline CSS and SVG, no script, no
// external request), rendered from a view built in TypeScript.
import { InternalError } from '../../errors.js';
import type { PlanDocument } from '../../model.js';
import { template } from '../templates.js';
import { renderExitPlanSection } from './exit-plan.js';
import { buildReportView, type ReportInput, type ReportView } from './view.js';

export { buildReportView, type ReportInput } from './view.js';
export { parseReplayComparison } from './replay.js';

export function renderReportHtml(input: ReportInput & { exitPlan?: PlanDocument }): string {
  // No false clean (rules.md): a score over no connectors would read as a clean estate. The CLI
  // stops such input first (exit 2); this keeps any other caller from rendering one.
  if (input.snapshot.connectors.length === 0) throw new InternalError('the risk report needs at least one receive connector');
  const view = buildReportView(input);
  // The exit plan (audit --logs) is its own section, rendered (and escaped) by exit-plan.ts.
  const exitPlanSection = input.exitPlan === undefined ? '' : renderExitPlanSection(input.exitPlan);
  const nav = input.exitPlan === undefined ? view.nav : [...view.nav, { anchor: 'exit-plan', label: 'Exit plan' }];
  return template<ReportView & { exitPlanSection: string }>('report.html.hbs')({ ...view, nav, exitPlanSection });
}

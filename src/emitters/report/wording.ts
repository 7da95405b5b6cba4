// The report's own words: severity labels and the weights behind the headline score. What each
// rule means for the customer (impact, action) lives in the rule's file and reaches the report
// through ReportInput.rules.
import type { RuleInfo, RuleWording, Severity } from '../../model.js';

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info',
};

/** Points per finding for the headline score (capped at 100). */
export const SEVERITY_WEIGHT: Record<Severity, number> = {
  critical: 40, high: 15, medium: 5, low: 1, info: 0,
};

/** The rule's wording at this severity; a rule the catalogue does not know gets a neutral line. */
export function wordingFor(rules: ReadonlyMap<string, RuleInfo>, rule: string, severity: Severity): RuleWording {
  const info = rules.get(rule);
  if (info === undefined) return { impact: 'See the finding\'s message.', action: 'Review the finding' };
  return info.gradedWording?.[severity] ?? info.wording;
}

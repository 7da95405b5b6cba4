// `exrelay migrate`: the PowerShell that recreates one server's relay behaviour on another.
// The decisions are migrate-plan.ts, the PowerShell text migrate-view.ts; this module is the
// one import for both.
export * from './migrate-plan.js';
export * from './migrate-view.js';

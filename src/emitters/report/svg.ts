// Geometry for the report's inline SVG: computed here so the templates only place numbers.
// Every text that reaches the SVG goes through the template's escaping like any other value.
import type { Severity } from '../../model.js';
import { SEVERITY_LABEL } from './wording.js';

export interface BarView {
  severity: Severity; label: string; count: number; colour: string;
  y: number; barWidth: number; labelY: number; countX: number;
}
export interface ChartView { width: number; height: number; barX: number; barHeight: number; bars: BarView[]; description: string }

/** Horizontal bars, one per severity, longest = the most frequent severity. */
export function buildSeverityChart(counts: Record<Severity, number>, order: readonly Severity[]): ChartView {
  const barX = 90;
  const maxBar = 300;
  const barHeight = 22;
  const gap = 10;
  const max = Math.max(1, ...order.map((s) => counts[s]));
  const bars = order.map((severity, i): BarView => {
    const count = counts[severity];
    const barWidth = count === 0 ? 0 : Math.max(4, Math.round((count / max) * maxBar));
    const y = 8 + i * (barHeight + gap);
    return { severity, label: SEVERITY_LABEL[severity], count, colour: SEVERITY_COLOUR[severity], y, barWidth, labelY: y + 15, countX: barX + barWidth + 8 };
  });
  return {
    width: barX + maxBar + 50,
    height: 8 + order.length * (barHeight + gap),
    barX,
    barHeight,
    bars,
    description: order.map((s) => `${SEVERITY_LABEL[s]}: ${counts[s]}`).join(', '),
  };
}

/** Same colours as the stylesheet's --critical … --info. */
export const SEVERITY_COLOUR: Record<Severity, string> = {
  critical: '#a4161a', high: '#d9480f', medium: '#b8860b', low: '#1c7ed6', info: '#6c757d',
};

export interface MapInput { first: bigint; last: bigint; key: string | null }
export interface SegmentView {
  x: number; width: number; colour: string; pattern: boolean;
  title: string; label: string; showLabel: boolean; labelX: number;
  /** The band's first address under its left edge, where there is room for it. */
  tick: string; showTick: boolean; tickX: number;
}

/**
 * Lays out a partition of the address space as bands whose width grows with log2 of the band's
 * size, so a single /32 remains visible next to the rest of the internet.
 */
export function layoutBands(parts: readonly MapInput[], width: number, describe: (p: MapInput) => { title: string; label: string; colour: string; tick: string }): SegmentView[] {
  const weights = parts.map((p) => 1 + log2(p.last - p.first + 1n));
  const total = weights.reduce((a, b) => a + b, 0);
  const out: SegmentView[] = [];
  let x = 0;
  parts.forEach((p, i) => {
    const w = ((weights[i] ?? 1) / total) * width;
    const d = describe(p);
    const segWidth = Math.max(1.5, Math.round(w * 10) / 10);
    out.push({
      x: Math.round(x * 10) / 10, width: segWidth, colour: d.colour, pattern: p.key === null,
      title: d.title, label: d.label, showLabel: segWidth >= d.label.length * 6.2 + 8, labelX: Math.round((x + segWidth / 2) * 10) / 10,
      tick: d.tick, showTick: false, tickX: Math.round(x * 10) / 10,
    });
    x += w;
  });
  // Address labels left to right, each only where it does not run into the previous one.
  let free = 0;
  for (const seg of out) {
    const needed = seg.tick.length * 5.6 + 10;
    if (seg.tickX >= free && seg.tickX + needed <= width) { seg.showTick = true; free = seg.tickX + needed; }
  }
  return out;
}

function log2(n: bigint): number {
  if (n <= 1n) return 0;
  return n.toString(2).length - 1;
}

/** Colour-blind-safe palette (Okabe–Ito and Tableau variants), assigned per connector in order. */
export const PALETTE = [
  '#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7A5195', '#4E9A06',
  '#B07AA1', '#9C755F', '#2F4B7C', '#F28E2B',
] as const;

export function paletteColour(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#0072B2';
}

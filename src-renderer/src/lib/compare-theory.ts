/**
 * The theory figures of several runs in one table: a row per layer and figure (μ, Welch bound, the bound
 * ½(1 + 1/μ), the measured ‖Γ‖s0,∞, whether it holds), a column per run. A run without that layer, or
 * without the figure (no codes saved), shows a dash.
 */
import type { RunLayerTheory, RunTheory } from '../../../src-shared/contract';
import { formatNumber } from './format';

export type TheoryFigure = 'coherence' | 'welch' | 'sparsityBound' | 'stripeSparsity' | 'holds';

export const THEORY_FIGURES: readonly { readonly key: TheoryFigure; readonly label: string; readonly help: string }[] = [
  { key: 'coherence', label: 'μ', help: 'Mutual coherence of the dictionary (all atom pairs and shifts)' },
  { key: 'welch', label: 'Welch bound', help: 'The least coherence any dictionary of this geometry can have' },
  { key: 'sparsityBound', label: '½(1+1/μ)', help: 'Below this sparsity the representation is unique and OMP/BP recover it' },
  { key: 'stripeSparsity', label: '‖Γ‖s0,∞ measured', help: 'Stripe sparsity of the codes the run saved (‖γ‖0 for Sparseland)' },
  { key: 'holds', label: 'holds', help: 'Measured sparsity below the bound' },
];

export interface TheoryCell {
  readonly text: string;
  /** For the holds row: true ✓, false ✗, undefined unknown. */
  readonly holds?: boolean;
}

export interface TheoryRow {
  readonly layer: number;
  readonly figure: TheoryFigure;
  readonly label: string;
  readonly help: string;
  readonly cells: readonly TheoryCell[];
}

function cell(l: RunLayerTheory | undefined, figure: TheoryFigure): TheoryCell {
  if (!l) return { text: '—' };
  if (figure === 'holds') return l.holds === undefined ? { text: '—' } : { text: l.holds ? '✓' : '✗', holds: l.holds };
  const v = l[figure];
  return { text: v === undefined ? '—' : formatNumber(v) };
}

/** Rows for the runs' theories in column order; `undefined` stands for a run whose theory is not there. */
export function theoryRows(theories: readonly (RunTheory | undefined)[]): TheoryRow[] {
  const layers = [...new Set(theories.flatMap((t) => t?.layers.map((l) => l.layer) ?? []))].sort((a, b) => a - b);
  const byLayer = theories.map((t) => new Map((t?.layers ?? []).map((l) => [l.layer, l])));
  return layers.flatMap((layer) => THEORY_FIGURES.map((f) => ({ layer, figure: f.key, label: f.label, help: f.help, cells: byLayer.map((m) => cell(m.get(layer), f.key)) })));
}

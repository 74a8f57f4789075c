/**
 * What the Theory view shows of a TheoryReport and a PhaseResult, as plain data: table rows, the verdict
 * symbols, the grids of the heat maps, the series of the line charts and the theorems' limits. Pure, so the
 * formatting and the data behind every export can be tested without a page.
 */
import type { Float32Tensor, LayerVerdict, PhaseResult, PursuitReport, TheoryModelInput, TheoryReport } from '../../../src-shared/contract';
import { formatNumber } from './format';
import { firstPlane } from './image';
import { PURSUIT_LABELS, type TheoryPursuitName } from './theory-form';

type CodeReport = TheoryReport['codes'][number];
type DictionaryReport = TheoryReport['dictionaries'][number];

/** ✓ the sample meets the theorem's condition, ✗ it does not, — no theorem applies (or it could not be checked). */
export function holdsSymbol(holds: boolean | null): string {
  return holds === null ? '—' : holds ? '✓' : '✗';
}

/** The same, in words, for screen readers and the row's data attribute. */
export function holdsWord(holds: boolean | null): 'holds' | 'fails' | 'n/a' {
  return holds === null ? 'n/a' : holds ? 'holds' : 'fails';
}

export const NORM_LABELS: Record<LayerVerdict['norm'], string> = { p2inf: '‖·‖p2,∞', linf: '‖·‖∞', l2: '‖·‖₂' };

export function pursuitLabel(p: string): string {
  return (PURSUIT_LABELS as Record<string, string>)[p] ?? p;
}

/** |Γmin|/|Γmax|, or undefined when the code is all zero. */
export function gammaRatio(code: Pick<CodeReport, 'gammaMin' | 'gammaMax'>): number | undefined {
  return code.gammaMax > 0 ? code.gammaMin / code.gammaMax : undefined;
}

export interface DictionaryRow {
  readonly layer: number;
  readonly dictionary: DictionaryReport;
  readonly code: CodeReport | undefined;
  /** |Γmin|/|Γmax| of the layer's code. */
  readonly ratio: number | undefined;
}

/** One row per layer: its dictionary's measures beside its code's. */
export function dictionaryRows(report: Pick<TheoryReport, 'dictionaries' | 'codes'>): DictionaryRow[] {
  return [...report.dictionaries]
    .sort((a, b) => a.layer - b.layer)
    .map((d) => {
      const code = report.codes.find((c) => c.layer === d.layer);
      return { layer: d.layer, dictionary: d, code, ratio: code ? gammaRatio(code) : undefined };
    });
}

export interface VerdictRow {
  readonly pursuit: PursuitReport['pursuit'];
  readonly layer: number;
  readonly verdict: LayerVerdict;
  /** The ground truth's stripe sparsity at this layer (what the condition limits). */
  readonly stripe: number | undefined;
  /** The first row of its pursuit (it carries the pursuit's name and time). */
  readonly first: boolean;
  /** Rows of this pursuit (its name cell spans them). */
  readonly span: number;
  readonly seconds: number;
  readonly provider: string;
}

/** Every pursuit × layer, pursuits in report order, layers ascending. */
export function verdictRows(report: Pick<TheoryReport, 'pursuits' | 'codes'>): VerdictRow[] {
  return report.pursuits.flatMap((p) => {
    const layers = [...p.layers].sort((a, b) => a.layer - b.layer);
    return layers.map((v, i) => ({
      pursuit: p.pursuit,
      layer: v.layer,
      verdict: v,
      stripe: report.codes.find((c) => c.layer === v.layer)?.stripe,
      first: i === 0,
      span: layers.length,
      seconds: p.seconds,
      provider: p.provider,
    }));
  });
}

/** "‖Γ2‖s0,∞ = 2 < 3.5" (the condition the theorem sets), or — without one. */
export function conditionText(row: Pick<VerdictRow, 'layer' | 'stripe' | 'verdict'>): string {
  const c = row.verdict.condition;
  if (c === null) return '—';
  const s = row.stripe === undefined ? `‖Γ${row.layer}‖s0,∞` : `${row.stripe}`;
  return `${s} < ${formatNumber(c)}`;
}

/** A [rows, cols] tensor (the last two dimensions) as a grid of numbers. */
export function tensorRows(t: Pick<Float32Tensor, 'shape' | 'data'>): number[][] {
  const p = firstPlane(t);
  return Array.from({ length: p.height }, (_, i) => Array.from(p.data.subarray(i * p.width, (i + 1) * p.width)));
}

export interface Grid {
  readonly xLabels: string[];
  readonly yLabels: string[];
  readonly values: (number | null)[][];
}

/** The coherence map of one dictionary: rows and columns are filters 1…m. */
export function coherenceGrid(d: Pick<DictionaryReport, 'coherence'>): Grid {
  const values = tensorRows(d.coherence);
  const labels = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
  return { xLabels: labels(values[0]?.length ?? 0), yLabels: labels(values.length), values };
}

/** One pursuit's success rates: x = sparsity, y = noise level. */
export function phaseGrid(result: Pick<PhaseResult, 'sparsities' | 'noise' | 'success'>, pursuitIndex: number): Grid {
  const rows = result.success[pursuitIndex] ?? [];
  return {
    xLabels: result.sparsities.map(String),
    yLabels: result.noise.map((n) => formatNumber(n)),
    values: result.noise.map((_, n) => result.sparsities.map((_, s) => rows[n]?.[s] ?? null)),
  };
}

export interface Series {
  readonly name: string;
  readonly points: [number, number][];
}

/** Success rate against sparsity at one noise level, one series per pursuit (cells not done yet are left out). */
export function phaseSuccessSeries(result: Pick<PhaseResult, 'pursuits' | 'sparsities' | 'success'>, noiseIndex = 0): Series[] {
  return result.pursuits.map((p, i) => ({
    name: p,
    points: result.sparsities.flatMap((s, j): [number, number][] => {
      const v = result.success[i]?.[noiseIndex]?.[j];
      return v === null || v === undefined ? [] : [[s, v]];
    }),
  }));
}

export interface BoundLine {
  readonly x: number;
  readonly label: string;
}

/**
 * The theorems' sparsity limits as vertical lines: ½(1+1/μ) (uniqueness, OMP and BP succeed) and
 * ⅓(1+1/μ) (noisy BP is stable). Non-finite limits (μ = 0) are left out.
 */
export function phaseBoundLines(result: Pick<PhaseResult, 'bounds'>): BoundLine[] {
  const lines: BoundLine[] = [];
  if (Number.isFinite(result.bounds.success)) lines.push({ x: result.bounds.success, label: `½(1+1/μ) = ${formatNumber(result.bounds.success)}` });
  if (Number.isFinite(result.bounds.bp)) lines.push({ x: result.bounds.bp, label: `⅓(1+1/μ) = ${formatNumber(result.bounds.bp)}` });
  return lines;
}

/**
 * The x range of the success chart: the sparsities, widened to show the limits when they lie near them
 * (a limit far beyond the grid, for a very incoherent dictionary, would squeeze the data into a corner).
 */
export function phaseChartRange(sparsities: readonly number[], lines: readonly BoundLine[]): { min: number; max: number; shown: BoundLine[]; hidden: BoundLine[] } {
  const lo = Math.min(...sparsities);
  const hi = Math.max(...sparsities);
  const reach = Math.max(2 * hi, hi + 2);
  const shown = lines.filter((l) => l.x >= 0 && l.x <= reach);
  const hidden = lines.filter((l) => !shown.includes(l));
  const xs = [lo, hi, ...shown.map((l) => l.x)];
  return { min: Math.max(0, Math.floor(Math.min(...xs))), max: Math.ceil(Math.max(...xs)), shown, hidden };
}

/** The first signal as line series (clean, noisy, each pursuit's reconstruction), when it is 1-D (height 1). */
export function signalSeries(report: Pick<TheoryReport, 'clean' | 'noisy' | 'pursuits'>): Series[] | null {
  const clean = firstPlane(report.clean);
  if (clean.height !== 1) return null;
  const line = (name: string, t: Pick<Float32Tensor, 'shape' | 'data'>): Series => {
    const p = firstPlane(t);
    return { name, points: Array.from(p.data.subarray(0, p.width), (v, i): [number, number] => [i, v]) };
  };
  return [line('clean', report.clean), line('noisy', report.noisy), ...report.pursuits.map((p) => line(p.pursuit, p.reconstruction))];
}

/** "CSC 1-D · N = 256 · 2 filters of 32" — what a phase run or an analysis was made of. */
export function modelSummary(model: TheoryModelInput): string {
  if (model.kind === 'sparseland') return `Sparseland · n = ${model.n} · ${model.atoms} atoms`;
  const twoD = model.dims === '2d';
  const kind = model.layers.length === 1 ? 'CSC' : `ML-CSC ${model.layers.length} layers`;
  const size = twoD ? `${model.size}×${model.size}` : `N = ${model.size}`;
  const layers = model.layers.map((l) => `${l.filters}×${twoD ? `${l.kernel}×${l.kernel}` : l.kernel}${l.stride > 1 ? `/${l.stride}` : ''}`).join(' → ');
  return `${kind} ${twoD ? '2-D' : '1-D'} · ${size} · ${layers}${model.dictionaries?.length ? ' · loaded' : ''}`;
}

/** The fuller of two grids of the same run (an event and a fetch can cross). */
export function fullerResult(a: PhaseResult | null, b: PhaseResult): PhaseResult {
  return a && a.cellsDone > b.cellsDone ? a : b;
}

/** Pursuits of a result whose grids are listed, in result order with their index. */
export function phasePursuits(result: Pick<PhaseResult, 'pursuits'>): { pursuit: TheoryPursuitName; index: number }[] {
  return result.pursuits.map((pursuit, index) => ({ pursuit, index }));
}

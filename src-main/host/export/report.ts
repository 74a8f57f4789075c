/**
 * A run's report: Markdown that says what was run (configuration, provider, notes), what came out (final
 * metrics, per-layer figures, the phase-transition grid) and shows it (atoms, images, curves), with the figures
 * beside it under figures/ and referenced relatively, so the folder reads as is in any Markdown viewer.
 */
import type { PhaseResult, RunArrayInfo, RunDetail, RunMetrics } from '../../../src-shared/contract';
import { APP_VERSION } from '../../engine/version';
import { atomsPng, imagePng, jointRange, lineChartSvg, metricCharts } from './figures';

export interface LoadedArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface ReportInput {
  readonly detail: RunDetail;
  readonly arrays: readonly RunArrayInfo[];
  /** Reads one of `arrays` as float32. */
  readonly load: (name: string) => Promise<LoadedArray>;
  readonly phase?: PhaseResult;
  /** When the report is made (shown at its foot). */
  readonly generatedAt?: Date;
}

export interface Report {
  readonly markdown: string;
  /** Figure files by path inside the report (figures/…). */
  readonly figures: Map<string, Uint8Array>;
}

/** Images drawn from the run's arrays when present, in this order, with a shared gray scale. */
const IMAGE_ARRAYS: readonly { name: string; title: string }[] = [
  { name: 'clean', title: 'Clean image' },
  { name: 'input', title: 'Input' },
  { name: 'reconstruction', title: 'Reconstruction' },
];

const KIND_TITLES = { pursuit: 'pursuit run', learning: 'learning session', phase: 'phase-transition experiment' } as const;

/** Text placed in Markdown prose: characters that would start markup are escaped. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function cell(text: string): string {
  return escapeMarkdown(text);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A number as a reader wants it: integers whole, others to 6 significant digits, tiny or huge ones in e-notation. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(5).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(6)));
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The first image of an array of shape [h, w], [c, h, w] or [n, c, h, w]. */
function firstImage(a: LoadedArray): { height: number; width: number; data: Float32Array; count: number } | undefined {
  if (a.shape.length < 2) return undefined;
  const height = a.shape[a.shape.length - 2]!;
  const width = a.shape[a.shape.length - 1]!;
  if (height < 1 || width < 1) return undefined;
  return { height, width, data: a.data.subarray(0, height * width), count: a.shape.slice(0, -2).reduce((x, y) => x * y, 1) };
}

/** What ran: the pursuit algorithm, the learning method, or a phase-transition experiment's pursuits. */
function whatRan(detail: RunDetail): [string, string] {
  const c = detail.config;
  if ('pursuits' in c) return ['Pursuits', c.pursuits.join(', ')];
  return [detail.summary.kind === 'learning' ? 'Method' : 'Algorithm', detail.summary.algorithm];
}

export async function buildReport(input: ReportInput): Promise<Report> {
  const { detail, arrays } = input;
  const s = detail.summary;
  const figures = new Map<string, Uint8Array>();
  const has = new Set(arrays.map((a) => a.name));
  const out: string[] = [];

  out.push(`# ${escapeMarkdown(s.name)}`, '');
  const [ranLabel, ran] = whatRan(detail);
  const facts: [string, string][] = [
    ['Run', `\`${s.id}\``],
    ['Kind', KIND_TITLES[s.kind]],
    [ranLabel, cell(ran)],
    ['Status', s.status],
    ['Created', s.createdAt],
  ];
  if (s.finishedAt) facts.push(['Finished', s.finishedAt]);
  facts.push(['Iterations', String(s.iterations)]);
  if (s.checkpointIteration !== undefined) facts.push(['Last checkpoint', `iteration ${s.checkpointIteration}`]);
  facts.push(['Provider', s.provider ?? 'not recorded']);
  if (s.tags?.length) facts.push(['Tags', s.tags.map(cell).join(', ')]);
  if (s.error) facts.push(['Error', cell(`${s.error.code}: ${s.error.message}`)]);
  out.push(table(['', ''], facts.map(([k, v]) => [`**${k}**`, v])), '');

  if (s.notes) out.push('## Notes', '', s.notes.trim(), '');

  out.push('## Configuration', '', '```json', JSON.stringify(detail.config, null, 2), '```', '');

  // ---- final metrics
  const last: RunMetrics | undefined = detail.metrics.at(-1);
  if (last || s.finalObjective !== undefined) {
    const rows: [string, string][] = [];
    if (last) rows.push(['Iteration', String(last.iteration)]);
    const objective = s.finalObjective ?? last?.objective;
    if (objective !== undefined) rows.push(['Objective', formatNumber(objective)]);
    last?.density.forEach((d, i) => rows.push([`Density, layer ${i + 1}`, formatNumber(d)]));
    for (const [k, v] of Object.entries(last?.values ?? {})) rows.push([cell(k), formatNumber(v)]);
    if (last) rows.push(['Elapsed seconds', formatNumber(last.seconds)]);
    out.push('## Final metrics', '', table(['Metric', 'Value'], rows), '');
  }

  // ---- layers
  const layerCount = Math.max(s.layers?.length ?? 0, ...arrays.map((a) => Number(/^(?:W|gamma|atoms)(\d+)$/.exec(a.name)?.[1] ?? 0)));
  if (layerCount > 0) {
    const byName = new Map(arrays.map((a) => [a.name, a]));
    const shapeOf = (n: string) => (byName.has(n) ? shapeText(byName.get(n)!.shape) : '—');
    // The pursuit's own figures per layer when the run reported them (pursuit runs), else the arrays' shapes alone.
    const measured = (s.layers?.length ?? 0) > 0;
    const rows: string[][] = [];
    for (let k = 1; k <= layerCount; k++) {
      const l = s.layers?.find((x) => x.layer === k);
      const cells = measured ? [l ? formatNumber(l.objective) : '—', l ? String(l.nnz) : '—', l ? formatNumber(l.density) : '—'] : [];
      rows.push([String(k), ...cells, shapeOf(`W${k}`), shapeOf(`gamma${k}`), shapeOf(`atoms${k}`)]);
    }
    out.push('## Layers', '', table(['Layer', ...(measured ? ['Objective', 'Nonzeros', 'Density'] : []), 'Dictionary W', 'Code Γ', 'Atoms'], rows), '');
  }

  // ---- phase transition
  if (input.phase) out.push(...phaseSection(input.phase));

  // ---- figures
  const figureLines: string[] = [];
  const atomLines: string[] = [];
  for (let k = 1; has.has(`atoms${k}`); k++) {
    const a = await input.load(`atoms${k}`);
    if (a.shape.length < 3 || a.data.length === 0) continue;
    const fig = atomsPng(a.data, a.shape);
    const file = `figures/atoms${k}.png`;
    figures.set(file, fig.png);
    const cut = fig.shown < fig.total ? `, the first ${fig.shown} of ${fig.total} shown` : '';
    atomLines.push(`![Atoms of layer ${k}](${file})`, '', `*Layer ${k}: ${fig.total} atoms of ${fig.tileHeight}×${fig.tileWidth}${cut}, each scaled to its own range (black: its minimum, white: its maximum).${k > 1 ? ` Effective atoms D₁⋯D${subscript(k)} in the signal domain.` : ''}*`, '');
  }
  if (atomLines.length) figureLines.push('### Atoms', '', ...atomLines);

  const images: { name: string; title: string; image: NonNullable<ReturnType<typeof firstImage>> }[] = [];
  for (const { name, title } of IMAGE_ARRAYS) {
    if (!has.has(name)) continue;
    const image = firstImage(await input.load(name));
    if (image) images.push({ name, title, image });
  }
  if (images.length) {
    const range = jointRange(images.map((i) => i.image.data));
    figureLines.push('### Images', '');
    for (const { name, title, image } of images) {
      const file = `figures/${name}.png`;
      figures.set(file, imagePng(image.data, image.height, image.width, range).png);
      figureLines.push(`![${title}](${file})`, '', `*${title}, ${image.height}×${image.width}${image.count > 1 ? `, the first of ${image.count}` : ''}.*`, '');
    }
    if (images.length > 1) {
      const titles = images.map((i, n) => (n === 0 ? i.title : i.title.toLowerCase()));
      figureLines.push(`*${titles.slice(0, -1).join(', ')} and ${titles.at(-1)} share one gray scale: black ${formatNumber(range.min)}, white ${formatNumber(range.max)}.*`, '');
    }
  }

  const charts = metricCharts(detail.metrics);
  if (charts.length) {
    figureLines.push('### Curves', '');
    const used = new Set<string>();
    for (const { key, spec } of charts) {
      let stem = key.replace(/[^A-Za-z0-9_-]+/g, '_');
      while (used.has(stem)) stem += '_';
      used.add(stem);
      const file = `figures/${stem}.svg`;
      figures.set(file, new TextEncoder().encode(await lineChartSvg(spec)));
      figureLines.push(`![${escapeMarkdown(spec.title)}](${file})`, '');
    }
  }
  if (figureLines.length) out.push('## Figures', '', ...figureLines);

  // ---- arrays
  if (arrays.length) {
    out.push('## Arrays', '', `Saved in the project as \`runs/${s.id}/<name>.npy\` (NumPy format; \`numpy.load\` reads them).`, '');
    out.push(table(['Array', 'dtype', 'Shape'], arrays.map((a) => [`\`${a.name}\``, a.dtype, shapeText(a.shape)])), '');
  }

  out.push('---', '', `*Report by Sparseland Studio ${APP_VERSION}, ${(input.generatedAt ?? new Date()).toISOString()}.*`, '');
  return { markdown: out.join('\n'), figures };
}

function subscript(n: number): string {
  return String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]!);
}

/** The success grid of a phase-transition run: one table per pursuit, noise down, sparsity across. */
function phaseSection(r: PhaseResult): string[] {
  const out = ['## Phase transition', ''];
  out.push(`Fraction of ${r.trials} trials whose support was recovered, by sparsity (columns) and ${escapeMarkdown(r.noiseKind)} noise (rows); ${r.cellsDone} of ${r.cellsTotal} cells done (— not run).`, '');
  const mu = r.mu.map((m, i) => `μ${subscript(i + 1)} = ${formatNumber(m)} (Welch bound ${formatNumber(r.welch[i] ?? NaN)})`).join(', ');
  if (mu) out.push(`Mutual coherence: ${mu}. Sparsity bounds: unique and recovered below ${formatNumber(r.bounds.success)}, basis pursuit below ${formatNumber(r.bounds.bp)}.`, '');
  r.pursuits.forEach((p, pi) => {
    out.push(`### ${escapeMarkdown(p)}`, '');
    const rows = r.noise.map((n, ni) => [formatNumber(n), ...r.sparsities.map((_, si) => {
      const v = r.success[pi]?.[ni]?.[si];
      return v === null || v === undefined ? '—' : formatNumber(v);
    })]);
    out.push(table(['noise ↓ sparsity →', ...r.sparsities.map(formatNumber)], rows), '');
  });
  return out;
}

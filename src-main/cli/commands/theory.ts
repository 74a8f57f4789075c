/**
 * The theory commands: `synth` samples signals with known codes from an (ML-)CSC or Sparseland model,
 * `theory` measures dictionaries (and codes) against the theorems' conditions, `phase` runs a
 * phase-transition experiment. All bind the same contract schemas as the workbench.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { describeIssues, PhaseConfig, TheoryModel, TheoryPursuit, TheorySampling, type PhaseResult } from '../../../src-shared/contract';
import { loadDictionaryFile, readNpzFile, writeFileAtomic, writeNpzFile, type NdArray } from '../../engine/io';
import { runPhaseTransition } from '../../engine/jobs/phase-transition';
import { Runtime } from '../../engine/runtime/session';
import { layeredBp, layeredThresholding, pursuitSuccessBound, uniquenessBound, bpStability } from '../../engine/theory/bounds';
import { convolutionalWelchBound, filterCoherence } from '../../engine/theory/coherence';
import { codeShapeOf } from '../../engine/theory/conv-matrix';
import { codePatchWindow, extremes, patchEnergy, patchSparsity, stripeSparsity } from '../../engine/theory/local-norms';
import { buildModel, drawSample, sampleStats } from '../../engine/theory/model';
import type { ConvLayer } from '../../engine/theory/types';
import { CliError, parseList, printJson, progressBar } from '../output';
import { parseProviders, perLayer } from './shared';

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliError(`${what}: ${describeIssues(r.error.issues)}`);
  return r.data;
}

async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${what} ${file} cannot be read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** "1-12", "1,2,4,8" or a mix ("1-4,8"). */
export function parseIntegerList(value: string, what: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',').map((s) => s.trim())) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (a > b) throw new CliError(`${what}: the range ${part} runs backwards`);
      for (let v = a; v <= b; v++) out.push(v);
    } else if (/^\d+$/.test(part)) out.push(Number(part));
    else throw new CliError(`${what}: "${part}" is neither an integer nor a range such as 1-12`);
  }
  return out;
}

function parseNoise(value: string): { kind: string; value: number } {
  const m = /^(none|sigma|snr|patch)(?::([0-9.eE+-]+))?$/.exec(value.trim());
  if (!m) throw new CliError(`--noise: "${value}" should be none, sigma:V, snr:DB or patch:V`);
  return { kind: m[1]!, value: m[2] === undefined ? 0 : Number(m[2]) };
}

// ---- synth -------------------------------------------------------------------------------------------------

interface SynthOptions {
  layers: string;
  count: string;
  seed: string;
  out: string;
  sparsity?: string;
  values?: string;
  sign?: string;
  distribution?: string;
  noise?: string;
  json?: boolean;
}

/** The spec file: a TheoryModel, `{ model, sampling }`, or a bare list of layers (1-D, size from the file's `size`). */
async function readSpec(file: string): Promise<{ model: unknown; sampling: Record<string, unknown> }> {
  const raw = await readJsonFile(file, 'layer spec');
  if (Array.isArray(raw)) throw new CliError(`layer spec ${file}: give an object such as {"kind": "convolutional", "dims": "1d", "size": 256, "layers": [...]}, not a bare list`);
  if (raw && typeof raw === 'object' && 'model' in raw) {
    const r = raw as { model: unknown; sampling?: Record<string, unknown> };
    return { model: r.model, sampling: r.sampling ?? {} };
  }
  return { model: raw, sampling: {} };
}

async function synth(o: SynthOptions) {
  if (!/\.npz$/i.test(o.out)) throw new CliError(`--out ${o.out}: the samples are written as a .npz file`);
  const spec = await readSpec(o.layers);
  const model = parsed(TheoryModel, spec.model, `model in ${o.layers}`);
  const values = { ...((spec.sampling.values as object | undefined) ?? {}) } as Record<string, unknown>;
  if (o.values) values.valueRange = parseList(o.values, '--values');
  if (o.sign) values.sign = o.sign;
  if (o.distribution) values.distribution = o.distribution;
  if (!values.valueRange) values.valueRange = [0.5, 1];
  const sampling = parsed(
    TheorySampling,
    {
      sparsity: 2,
      noise: { kind: 'none', value: 0 },
      ...spec.sampling,
      values,
      ...(o.sparsity ? { sparsity: Number(o.sparsity) } : {}),
      ...(o.noise ? { noise: parseNoise(o.noise) } : {}),
      count: Number(o.count),
      seed: Number(o.seed),
    },
    'sampling',
  );
  const instance = await buildModel(model, sampling.seed, loadDictionaryFile);
  const sample = drawSample(instance, sampling);
  const stats = sampleStats(instance, sample);
  const B = sample.clean.length;
  const stack = (items: Float64Array[], shape: readonly number[]): NdArray => {
    const per = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(B * per);
    items.forEach((v, b) => data.set(v, b * per));
    return { dtype: 'float64', shape: [B, ...shape], data };
  };
  const arrays = new Map<string, NdArray>();
  arrays.set('x', stack(sample.clean, instance.inputs[0]!));
  arrays.set('y', stack(sample.noisy, instance.inputs[0]!));
  instance.layers.forEach((l, i) => {
    arrays.set(`gamma${i + 1}`, stack(sample.codes.map((c) => c[i]!), sample.codeShapes[i]!));
    arrays.set(`W${i + 1}`, { dtype: 'float32', shape: [...l.weights.shape], data: l.weights.data as Float32Array });
  });
  await writeNpzFile(path.resolve(o.out), arrays);
  return {
    out: o.out,
    count: B,
    signalShape: instance.inputs[0],
    strides: instance.layers.map((l) => l.stride),
    noise: { sigma: sample.noise.sigma, patch: stats.noisePatch },
    layers: stats.layers.map((l, i) => ({ ...l, codeShape: sample.codeShapes[i], welch: convolutionalWelchBound(instance.layers[i]!) })),
  };
}

// ---- theory ------------------------------------------------------------------------------------------------

interface TheoryOptions {
  dict: string;
  stride?: string;
  codes?: string;
  json?: boolean;
}

function sliceItem(a: NdArray, b: number, name: string): { shape: [number, number, number]; data: Float64Array } {
  const shape = a.shape.length === 4 ? a.shape.slice(1) : a.shape.length === 3 ? a.shape : undefined;
  if (!shape) throw new CliError(`--codes: ${name} has shape [${a.shape.join(', ')}]; expected [B, m, H, W] or [m, H, W]`);
  const per = shape.reduce((x, y) => x * y, 1);
  const data = new Float64Array(per);
  for (let j = 0; j < per; j++) data[j] = Number(a.data[b * per + j]);
  return { shape: shape as [number, number, number], data };
}

async function theory(o: TheoryOptions) {
  const files = o.dict.split(',').map((s) => s.trim()).filter(Boolean);
  const weights = await Promise.all(files.map((f, i) => loadDictionaryFile(f, i + 1)));
  const strides = perLayer(o.stride ? parseList(o.stride, '--stride') : undefined, weights.length, 1, '--stride');
  const layers: ConvLayer[] = weights.map((w, i) => ({ weights: { shape: [...w.shape], data: w.data as Float32Array }, stride: strides[i]!, pad: 0 }));
  const dictionaries = layers.map((l, i) => {
    const c = filterCoherence(l);
    return {
      layer: i + 1,
      shape: l.weights.shape,
      stride: l.stride,
      mu: c.mu,
      worstPair: c.worst,
      welch: convolutionalWelchBound(l),
      bounds: { uniqueness: uniquenessBound(c.mu).bound, pursuitSuccess: pursuitSuccessBound(c.mu).bound, bpStability: bpStability({ mu: c.mu, stripe: 1, noisePatch: 0 }).condition },
    };
  });
  if (!o.codes) return { dictionaries };

  const npz = await readNpzFile(o.codes);
  const codes = layers.map((_, i) => {
    const a = npz.get(`gamma${i + 1}`);
    if (!a) throw new CliError(`--codes ${o.codes}: no array gamma${i + 1} (found ${[...npz.keys()].join(', ') || 'nothing'})`);
    return a;
  });
  const count = codes[0]!.shape.length === 4 ? codes[0]!.shape[0]! : 1;
  const x = npz.get('x');
  const y = npz.get('y');
  // The signal's shape: from x when saved, else the "valid" geometry's H = (H_c − 1)s + k.
  const first = sliceItem(codes[0]!, 0, 'gamma1');
  const [, kh, kw] = layers[0]!.weights.shape.slice(1) as [number, number, number];
  const inputShape: [number, number, number] = x ? (sliceItem(x, 0, 'x').shape as [number, number, number]) : [layers[0]!.weights.shape[1]!, (first.shape[1] - 1) * layers[0]!.stride + kh, (first.shape[2] - 1) * layers[0]!.stride + kw];
  const inputs: [number, number, number][] = [inputShape];
  for (const l of layers.slice(0, -1)) inputs.push(codeShapeOf(l, inputs.at(-1)!));
  let noisePatch = 0;
  if (x && y) {
    for (let b = 0; b < count; b++) {
      const xs = sliceItem(x, b, 'x');
      const ys = sliceItem(y, b, 'y');
      const e = ys.data.map((v, j) => v - xs.data[j]!);
      noisePatch = Math.max(noisePatch, patchEnergy({ shape: xs.shape, data: e }, [kh, kw]).value);
    }
  }
  const measured = layers.map((l, i) => {
    let stripe = 0;
    let patch = 0;
    let gammaMin = Infinity;
    let gammaMax = 0;
    for (let b = 0; b < count; b++) {
      const field = sliceItem(codes[i]!, b, `gamma${i + 1}`);
      stripe = Math.max(stripe, stripeSparsity(field, l, inputs[i]!).value);
      patch = Math.max(patch, patchSparsity(field, codePatchWindow(layers, i + 1)).value);
      const e = extremes(field);
      if (e.nnz) gammaMin = Math.min(gammaMin, e.min);
      gammaMax = Math.max(gammaMax, e.max);
    }
    return { layer: i + 1, mu: dictionaries[i]!.mu, stripe, patch, gammaMin: Number.isFinite(gammaMin) ? gammaMin : 0, gammaMax };
  });
  const thr = layeredThresholding(measured, noisePatch, 'soft');
  const lbp = layeredBp(measured, noisePatch);
  return {
    dictionaries,
    codes: { file: o.codes, count, noisePatch, layers: measured },
    layeredThresholding: { theorem: thr.theorem, layers: thr.layers },
    layeredBp: { theorem: lbp.theorem, layers: lbp.layers },
  };
}

// ---- phase -------------------------------------------------------------------------------------------------

/** Starting points for `--model`; every field can be overridden with --config. */
export const PHASE_PRESETS: Record<'single' | 'csc' | 'mlcsc', z.input<typeof PhaseConfig>> = {
  // A Sparseland dictionary of 128 atoms in R^64 with its coherence lowered.
  single: { model: { kind: 'sparseland', n: 64, atoms: 128, targetCoherence: 0.25 }, pursuits: ['omp', 'bp', 'layered-thr'], sparsities: [1, 2, 3, 4, 6, 8, 10, 12, 16, 20] },
  // The sources' CSC experiment: m = 2 filters of length n = 64, signals of length N = 640.
  csc: { model: { kind: 'convolutional', dims: '1d', size: 640, layers: [{ filters: 2, kernel: 64, stride: 1, targetCoherence: 0.1 }] }, pursuits: ['omp', 'bp', 'layered-thr'], sparsities: [1, 2, 3, 4, 5, 6, 8, 10, 12, 14] },
  // Two layers: low-coherence first-layer filters, sparse Gaussian second-layer filters (SCIENCE.md).
  mlcsc: {
    model: { kind: 'convolutional', dims: '1d', size: 200, layers: [{ filters: 2, kernel: 24, stride: 1, targetCoherence: 0.15 }, { filters: 4, kernel: 5, stride: 1, nonzeros: 3, targetCoherence: 0.3 }] },
    pursuits: ['omp', 'bp', 'layered-thr', 'layered-bp', 'ml-fista'],
    sparsities: [1, 2, 3, 4, 6],
    values: { valueRange: [0.5, 1], sign: 'both', distribution: 'uniform' },
  },
};

interface PhaseOptions {
  model?: 'single' | 'csc' | 'mlcsc';
  config?: string;
  pursuits?: string;
  sparsities?: string;
  noise?: string;
  noiseKind?: string;
  trials?: string;
  iterations?: string;
  seed?: string;
  provider?: string;
  out?: string;
  json?: boolean;
}

async function phase(o: PhaseOptions): Promise<{ result: PhaseResult; cancelled: boolean }> {
  if (!o.model && !o.config) throw new CliError('give --model single|csc|mlcsc, or --config phase.json');
  const base = o.config ? ((await readJsonFile(o.config, 'phase configuration')) as object) : {};
  const preset = o.model ? PHASE_PRESETS[o.model] : {};
  const config = parsed(
    PhaseConfig,
    {
      ...preset,
      ...base,
      ...(o.pursuits ? { pursuits: o.pursuits.split(',').map((s) => parsed(TheoryPursuit, s.trim(), '--pursuits')) } : {}),
      ...(o.sparsities ? { sparsities: parseIntegerList(o.sparsities, '--sparsities') } : {}),
      ...(o.noise ? { noise: parseList(o.noise, '--noise') } : {}),
      ...(o.noiseKind ? { noiseKind: o.noiseKind } : {}),
      ...(o.trials ? { trials: Number(o.trials) } : {}),
      ...(o.iterations ? { iterations: Number(o.iterations) } : {}),
      ...(o.seed ? { seed: Number(o.seed) } : {}),
    },
    'phase configuration',
  );
  const runtime = new Runtime({ providers: o.provider ? parseProviders(o.provider) : undefined });
  const bar = o.json ? undefined : progressBar('phase transition');
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const outcome = await runPhaseTransition(runtime, config, (r) => bar?.update(r.cellsDone / r.cellsTotal, `${r.cellsDone}/${r.cellsTotal} cells`), abort.signal);
    bar?.done();
    if (o.out) await writeFile(o.out, outcome.result);
    return outcome;
  } finally {
    process.off('SIGINT', onSigint);
    await runtime.dispose();
  }
}

async function writeFile(file: string, value: unknown) {
  await writeFileAtomic(path.resolve(file), new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

function printPhase(r: PhaseResult) {
  console.log(`μ per layer: ${r.mu.map((m) => m.toFixed(4)).join(', ')} (Welch ${r.welch.map((w) => w.toFixed(4)).join(', ')}); ½(1+1/μ) = ${r.bounds.success.toFixed(2)}, ⅓(1+1/μ) = ${r.bounds.bp.toFixed(2)}`);
  r.noise.forEach((level, n) => {
    console.log(`noise ${r.noiseKind} ${level}: success rate over ${r.trials} trials`);
    console.log(`  ${'sparsity'.padEnd(12)}${r.sparsities.map((s) => String(s).padStart(6)).join('')}`);
    r.pursuits.forEach((p, i) => console.log(`  ${p.padEnd(12)}${r.success[i]![n]!.map((v) => (v === null ? '     -' : v.toFixed(2).padStart(6))).join('')}`));
  });
}

export function registerTheory(program: Command): void {
  program
    .command('synth')
    .description('sample signals with known sparse codes from a Sparseland, CSC or ML-CSC model')
    .requiredOption('--layers <spec.json>', 'the model: {"kind":"convolutional","dims":"1d","size":256,"layers":[{"filters":2,"kernel":32,"stride":1}]} (or {"model":…, "sampling":…})')
    .option('--count <n>', 'signals to sample', '16')
    .option('--seed <s>', 'seed of the dictionaries, codes and noise', '0')
    .requiredOption('--out <file.npz>', 'writes x (clean), y (noisy), gamma1…gammaK and W1…WK')
    .option('--sparsity <k>', 'stripe sparsity ‖Γ_K‖s0,∞ of the deepest code (‖α‖0 for Sparseland)')
    .option('--values <a,b>', '|non-zero| range of the deepest code')
    .option('--sign <both|positive>', 'signs of the deepest code')
    .option('--distribution <uniform|gaussian>', 'values uniform in the range, or N(0,1)')
    .option('--noise <spec>', 'none, sigma:V, snr:DB or patch:V (‖E‖p2,∞ exactly)')
    .option('--json', 'machine-readable output')
    .action(async (o: SynthOptions) => {
      const r = await synth(o);
      if (o.json) return printJson(r);
      console.log(`${r.count} signal(s) of shape [${r.signalShape?.join(', ')}] written to ${r.out}`);
      for (const l of r.layers) console.log(`  layer ${l.layer}: μ ${l.mu.toFixed(4)} (Welch ${l.welch.toFixed(4)}), ‖Γ‖s0,∞ ${l.stripe}, ‖Γ‖p0,∞ ${l.patch}, |Γ|min/max ${l.gammaMin.toPrecision(3)}/${l.gammaMax.toPrecision(3)}`);
      console.log(`  noise σ ${r.noise.sigma.toPrecision(3)}, ‖E‖p2,∞ ${r.noise.patch.toPrecision(3)}`);
    });

  program
    .command('theory')
    .description("a dictionary's mutual coherence and the theorems' sparsity limits; with --codes, the measured local norms and the layered stability bounds")
    .requiredOption('--dict <files>', 'W1.npy[,W2.npy,…], each [m_i, m_{i-1}, kh, kw]')
    .option('--stride <list>', 'stride per layer (one value applies to all)', '1')
    .option('--codes <truth.npz>', 'ground truth as written by synth: gamma1…gammaK (and x, y for the noise)')
    .option('--json', 'machine-readable output')
    .action(async (o: TheoryOptions) => {
      const r = await theory(o);
      if (o.json) return printJson(r);
      for (const d of r.dictionaries) {
        console.log(`layer ${d.layer} [${d.shape.join(', ')}] stride ${d.stride}: μ ${d.mu.toFixed(4)} (Welch bound ${d.welch.toFixed(4)}); uniqueness and OMP/BP success for ‖Γ‖s0,∞ < ${d.bounds.pursuitSuccess.toFixed(2)}, noisy BP for < ${d.bounds.bpStability.toFixed(2)}`);
      }
      if ('codes' in r && r.codes) {
        console.log(`codes ${r.codes.file}: ${r.codes.count} signal(s), ‖E‖p2,∞ ${r.codes.noisePatch.toPrecision(3)}`);
        r.codes.layers.forEach((l, i) => {
          const t = r.layeredThresholding!.layers[i]!;
          const b = r.layeredBp!.layers[i]!;
          console.log(`  layer ${l.layer}: ‖Γ‖s0,∞ ${l.stripe}, ‖Γ‖p0,∞ ${l.patch}; layered thresholding ${t.holds ? 'holds' : 'fails'} (limit ${t.condition.toFixed(2)}, ε ${t.epsilon.toPrecision(3)}); layered BP ${b.holds ? 'holds' : 'fails'} (limit ${b.condition.toFixed(2)}, ε ${b.epsilon.toPrecision(3)})`);
        });
      }
    });

  program
    .command('phase')
    .description('phase-transition experiment: success rate of each pursuit over a grid of sparsity (and noise)')
    .option('--model <single|csc|mlcsc>', 'a preset model and grid')
    .option('--config <phase.json>', 'a full or partial phase configuration (overrides the preset)')
    .option('--pursuits <list>', 'omp,bp,layered-thr,layered-bp,ml-fista')
    .option('--sparsities <list>', 'the sparsity axis, e.g. 1-12 or 1,2,4,8')
    .option('--noise <list>', 'noise levels (0: noiseless)')
    .option('--noise-kind <kind>', 'sigma, snr or patch')
    .option('--trials <n>', 'signals per cell')
    .option('--iterations <n>', 'iterations of the iterative pursuits')
    .option('--seed <s>', 'seed of the dictionary and the codes')
    .option('--provider <list>', 'execution providers to try in order (cuda,webgpu,cpu)')
    .option('--out <grid.json>', 'also write the result grid to this file')
    .option('--json', 'machine-readable output')
    .action(async (o: PhaseOptions) => {
      if (o.model && !['single', 'csc', 'mlcsc'].includes(o.model)) throw new CliError(`--model: "${o.model}" is not one of single, csc, mlcsc`);
      const { result, cancelled } = await phase(o);
      if (o.json) return printJson({ ...result, cancelled });
      printPhase(result);
      if (cancelled) console.log(`cancelled after ${result.cellsDone} of ${result.cellsTotal} cells`);
    });
}

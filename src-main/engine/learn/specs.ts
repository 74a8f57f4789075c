/**
 * The learning methods' parameters as data: the UI renders its forms from these (sessions.methods) and the
 * engine checks a session's parameters against the same specs, so a form and a method cannot disagree.
 * Pure data: the host imports it without loading ONNX Runtime.
 */
import type { LearnMethod, MethodSpec, ParamSpec } from '../../../src-shared/contract';

const patch: ParamSpec[] = [
  { name: 'patchSize', label: 'Patch size √n', kind: 'integer', default: 8, min: 4, max: 16, help: 'Overlapping √n×√n patches, as in K-SVD denoising (Elad & Aharon 2006: 8×8).' },
  { name: 'atoms', label: 'Atoms K', kind: 'integer', default: 256, min: 4, max: 1024, help: 'Dictionary size; 256 atoms for 8×8 patches is the paper’s choice (4× overcomplete).' },
  { name: 'sparsity', label: 'Sparsity T₀', kind: 'integer', default: 4, min: 1, max: 64, help: 'Atoms per patch code when learning (OMP stops after T₀ atoms).' },
  { name: 'trainingPatches', label: 'Training patches', kind: 'integer', default: 8000, min: 100, max: 200000, help: 'Patches drawn (seeded) from the image for learning; coding for denoising uses them all.' },
  { name: 'sigma', label: 'Noise σ (0–255)', kind: 'number', default: 25, min: 0, max: 100, help: 'Gaussian noise added with the session seed; the session reports PSNR/SSIM of the denoised image against the clean one. 0: learn on the clean image.' },
];

export const METHOD_SPECS: readonly MethodSpec[] = [
  {
    method: 'ksvd',
    title: 'K-SVD (patches)',
    citation: 'Aharon, Elad, Bruckstein, “K-SVD”, IEEE TSP 2006; Elad & Aharon, “Image denoising via sparse and redundant representations”, IEEE TIP 2006',
    summary: 'Batch-OMP sparse coding of image patches, then each atom updated by the rank-1 approximation of its restricted residual; unused and duplicate atoms replaced. With σ > 0, denoises the image by patch averaging.',
    data: ['sample', 'file', 'dataset'],
    defaultIterations: 10,
    params: [...patch, { name: 'replaceAtoms', label: 'Replace unused atoms', kind: 'boolean', default: true, help: 'Replace atoms no signal uses, or that nearly duplicate another (|dᵢᵀdⱼ| > 0.99), by the worst-represented patch (K-SVD paper, §IV).' }],
  },
  {
    method: 'mod',
    title: 'MOD (patches)',
    citation: 'Engan, Aase, Husøy, “Method of optimal directions for frame design”, ICASSP 1999',
    summary: 'OMP sparse coding, then the least-squares dictionary D = YAᵀ(AAᵀ)⁻¹ with normalised columns.',
    data: ['sample', 'file', 'dataset'],
    defaultIterations: 10,
    params: patch,
  },
  {
    method: 'online-dl',
    title: 'Online dictionary learning (patches)',
    citation: 'Mairal, Bach, Ponce, Sapiro, “Online learning for matrix factorization and sparse coding”, JMLR 2010',
    summary: 'Mini-batches of patches: sparse codes, accumulated statistics A = Σααᵀ, B = Σxαᵀ, and block-coordinate updates of the atoms.',
    data: ['sample', 'file', 'dataset'],
    defaultIterations: 50,
    params: [...patch.filter((p) => p.name !== 'sigma'), { name: 'batchSize', label: 'Batch size', kind: 'integer', default: 256, min: 1, max: 10000, help: 'Patches per iteration (Mairal et al. 2010, Alg. 1, η).' }],
  },
  {
    method: 'cdl',
    title: 'Convolutional dictionary learning',
    citation: 'Alternating FISTA sparse coding (Beck & Teboulle 2009) and projected gradient on the filters; see Garcia-Cardona & Wohlberg, “Convolutional dictionary learning: a comparative review”, IEEE TCI 2018',
    summary: 'Whole images: FISTA on ½‖Y − DΓ‖² + λ‖Γ‖₁ warm-started each iteration, then a projected gradient step on the unit-norm filters. Batch or online (mini-batches of images).',
    data: ['sample', 'mnist', 'file', 'dataset'],
    defaultIterations: 30,
    params: [
      { name: 'filters', label: 'Filters', kind: 'integer', default: 16, min: 1, max: 256, help: 'Number of convolutional atoms m.' },
      { name: 'kernel', label: 'Kernel k', kind: 'integer', default: 8, min: 2, max: 32, help: 'Filters are k×k.' },
      { name: 'lambda', label: 'λ', kind: 'number', default: 0.05, min: 0, max: 10, help: 'ℓ1 weight of ConvBPDN; SPORCO’s examples use 0.05 on high-passed images.' },
      { name: 'codingIterations', label: 'FISTA steps per iteration', kind: 'integer', default: 20, min: 1, max: 1000, help: 'Sparse-coding iterations between dictionary updates (warm-started).' },
      { name: 'batchSize', label: 'Images per step (0 = all)', kind: 'integer', default: 0, min: 0, max: 60000, help: 'Online mode when > 0: a seeded mini-batch of images per iteration.' },
      { name: 'nonNegative', label: 'Non-negative codes', kind: 'boolean', default: false, help: 'Use the soft non-negative threshold S⁺ (codes ≥ 0).' },
      { name: 'init', label: 'Initial filters', kind: 'choice', default: 'patches', choices: ['patches', 'random'], help: 'Seeded random image patches (converges to cleaner atoms) or seeded Gaussian filters.' },
      { name: 'shiftMovesEvery', label: 'Shift moves every (0 = off)', kind: 'integer', default: 0, min: 0, max: 1000, help: 'Try moving each atom by one pixel (codes moved the other way) and keep moves that lower the objective: frees atoms stuck as shifted, cropped copies. Costs 10 graph runs per atom.' },
    ],
  },
  {
    method: 'mlcsc-unsupervised',
    title: 'ML-CSC dictionary learning (unsupervised)',
    citation: 'Sulam, Papyan, Romano, Elad, “Multi-layer convolutional sparse modeling: pursuit and dictionary learning”, IEEE TSP 2018',
    summary: 'Projection pursuit of the deepest code against D₁⋯D_K, then a gradient step on every Dᵢ for ½‖Y − D₁⋯D_KΓ_K‖² with an ℓ1 penalty that keeps the deeper filters sparse.',
    data: ['mnist', 'sample', 'file', 'dataset'],
    defaultIterations: 100,
    params: [
      { name: 'filters', label: 'Filters per layer', kind: 'integers', default: [32, 64], help: 'mᵢ for each layer (the paper’s MNIST model: 32, 128, 1024).' },
      { name: 'kernels', label: 'Kernels per layer', kind: 'integers', default: [7, 5], help: 'kᵢ for each layer (paper: 7, 5, 7).' },
      { name: 'strides', label: 'Strides per layer', kind: 'integers', default: [2, 1], help: 'sᵢ for each layer (paper: 2, 1, 1).' },
      { name: 'lambda', label: 'λ (deepest code)', kind: 'number', default: 0.1, min: 0, max: 10, help: 'ℓ1 weight of the projection pursuit on Γ_K.' },
      { name: 'zeta', label: 'ζ (filter sparsity)', kind: 'number', default: 0.05, min: 0, max: 1, help: 'ℓ1 weight on the filters of layers ≥ 2, which keeps the intermediate codes sparse (TSP 2018, §V).' },
      { name: 'batchSize', label: 'Batch size', kind: 'integer', default: 16, min: 1, max: 1024, help: 'Images per step (online learning).' },
    ],
  },
  {
    method: 'unrolled-supervised',
    title: 'Unrolled ML-CSC network (supervised)',
    citation: 'Sulam, Aberdam, Beck, Elad, “On multi-layer basis pursuit, efficient algorithms and convolutional neural networks”, IEEE TPAMI 2019',
    summary: 'A pursuit unrolled T times (T = 0: the CNN) with learned step sizes and thresholds and a linear classifier on Γ_K, trained end to end on MNIST; exports as a standalone ONNX model.',
    data: ['mnist'],
    defaultIterations: 20,
    params: [
      { name: 'preset', label: 'Model', kind: 'choice', default: 'small', choices: ['small', 'mnist-paper'], help: 'mnist-paper: 32 6×6 s2, 64 6×6 s2, 512 4×4 s1, T = 6 (TPAMI 2019); small: 16 6×6 s2, 32 6×6 s2, 64 4×4 s1 for quick runs.' },
      { name: 'unrolling', label: 'Pursuit', kind: 'choice', default: 'ml-fista', choices: ['cnn', 'ml-ista', 'ml-fista', 'layered-bp'], help: 'cnn is layered thresholding (T = 0).' },
      { name: 'T', label: 'Unfoldings T', kind: 'integer', default: 6, min: 0, max: 20, help: 'Iterations of the pursuit inside the network.' },
      { name: 'variant', label: 'Variant', kind: 'choice', default: 'none', choices: ['none', 'ml-lista', 'res-csc', 'msd-csc', 'sdnet'], help: 'Constructions of the CSC–CNN bridge: learned analysis filters (ML-LISTA), residual init (Res-CSC), dense [I, Fᵀ] dictionaries (MSD-CSC), a FISTA layer with tunable λ (SDNet).' },
      { name: 'optimizer', label: 'Optimiser', kind: 'choice', default: 'adam', choices: ['adam', 'sgd-momentum'], help: 'Adam (Kingma & Ba 2015) or SGD with momentum 0.9.' },
      { name: 'learningRate', label: 'Learning rate', kind: 'number', default: 0.002, min: 0, max: 1, help: 'Step size of the optimiser.' },
      { name: 'batchSize', label: 'Batch size', kind: 'integer', default: 64, min: 1, max: 1024, help: 'Images per step.' },
      { name: 'testCount', label: 'Test images', kind: 'integer', default: 1000, min: 10, max: 10000, help: 'MNIST test images used for accuracy and the confusion matrix.' },
      { name: 'stepsPerIteration', label: 'Steps per iteration', kind: 'integer', default: 50, min: 1, max: 10000, help: 'Optimiser steps between two reports; each iteration ends with an evaluation on the test images.' },
    ],
  },
];

export class ParamError extends Error {}

/** The method's parameters with defaults filled in; throws a ParamError naming the first bad one. */
export function checkParams(method: LearnMethod, params: Readonly<Record<string, unknown>>): Record<string, number | boolean | string | number[]> {
  const spec = METHOD_SPECS.find((m) => m.method === method);
  if (!spec) throw new ParamError(`no parameters are defined for ${method}`);
  const known = new Set(spec.params.map((p) => p.name));
  for (const name of Object.keys(params)) if (!known.has(name)) throw new ParamError(`${method}: unknown parameter "${name}" (expected ${[...known].join(', ')})`);
  const out: Record<string, number | boolean | string | number[]> = {};
  for (const p of spec.params) {
    const v = params[p.name] ?? p.default;
    const bad = (why: string) => new ParamError(`${method}: parameter ${p.name} ${why} (got ${JSON.stringify(v)})`);
    switch (p.kind) {
      case 'number':
      case 'integer':
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a number');
        if (p.kind === 'integer' && !Number.isInteger(v)) throw bad('must be an integer');
        if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) throw bad(`must lie in [${p.min ?? '−∞'}, ${p.max ?? '∞'}]`);
        break;
      case 'boolean':
        if (typeof v !== 'boolean') throw bad('must be true or false');
        break;
      case 'choice':
        if (typeof v !== 'string' || !p.choices?.includes(v)) throw bad(`must be one of ${p.choices?.join(', ')}`);
        break;
      case 'integers':
        if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)) throw bad('must be a list of positive integers');
        break;
    }
    out[p.name] = v as number | boolean | string | number[];
  }
  return out;
}

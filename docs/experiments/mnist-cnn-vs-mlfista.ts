/**
 * Experiment (not a test): MNIST, the ML-ISTA paper's network (Sulam, Aberdam, Beck, Elad, TPAMI 2019;
 * presets.ts) trained as a CNN (T = 0, layered thresholding) and as ML-FISTA (T = 6) — the same 604,909
 * parameters, the same initialisation, data order and epochs — printing the test accuracy after every
 * epoch; then the SDNet-style model (layer 1 a CSC layer with λ a graph input; Li et al. 2022): test
 * accuracy against λ on MNIST test digits with additive Gaussian noise σ ∈ {0, 0.1, 0.2, 0.3}.
 *
 *   npx tsx src-main/engine/learn/unrolled/experiments/mnist-cnn-vs-mlfista.ts [--train=N] [--epochs=E] …
 *
 * The paper trains on all 60,000 digits for many epochs; the defaults here fit a ~15-minute CPU budget
 * (a training subset, a few epochs, per-epoch accuracy on a test subset, the final one on all 10,000).
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { lipschitzOfLayer, parameterCount, resolveLayers, type UnrolledModel } from '../../src-main/engine/learn/unrolled/model';
import { loadMnist, subset, type Dataset } from '../../src-main/engine/learn/unrolled/mnist';
import { mnistPaperModel, mnistSdnetModel } from '../../src-main/engine/learn/unrolled/presets';
import { createTrainingState, evaluate, train, type EvalResult, type TrainConfig } from '../../src-main/engine/learn/unrolled/train';

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '3' },
    eval: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '1' },
    T: { type: 'string', default: '6' },
    'sdnet-T': { type: 'string', default: '2' },
    'sdnet-lambda': { type: 'string', default: '0.1' },
    'sdnet-eval': { type: 'string', default: '2000' },
    lambdas: { type: 'string', default: '0,0.05,0.1,0.2,0.4,0.8' },
    sigmas: { type: 'string', default: '0,0.1,0.2,0.3' },
    'skip-sdnet': { type: 'boolean', default: false },
  },
});
const num = (s: string | undefined) => Number(s);
const TRAIN = num(args.train);
const EPOCHS = num(args.epochs);
const EVAL = num(args.eval);
const BATCH = num(args.batch);
const LR = num(args.lr);
const SEED = num(args.seed);
const T = num(args.T);
const SDNET_T = num(args['sdnet-T']);
const SDNET_LAMBDA = num(args['sdnet-lambda']);
const SDNET_EVAL = num(args['sdnet-eval']);
const LAMBDAS = args.lambdas!.split(',').map(Number);
const SIGMAS = args.sigmas!.split(',').map(Number);
const NOISE_SEED = 2024;

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const log = (s = '') => console.log(s);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

function trainConfig(): TrainConfig {
  // Adam, step decay ×0.3 for the last epoch (a short version of a decaying schedule).
  return { batchSize: BATCH, epochs: EPOCHS, seed: SEED, optimizer: { kind: 'adam', lr: LR }, schedule: { kind: 'step', everyEpochs: Math.max(1, EPOCHS - 1), gamma: 0.3 } };
}

async function run(label: string, model: UnrolledModel, data: Dataset, heldOut: Dataset, lambda?: number): Promise<{ perEpoch: number[]; params: Record<string, Float32Array>; seconds: number }> {
  log(`\n== ${label}: ${model.unrolling}, T = ${model.T}, variant ${model.options.variant}, ${parameterCount(model).toLocaleString('en')} trainable parameters`);
  const state = createTrainingState(model, { ...trainConfig(), ...(lambda !== undefined ? { lambda } : {}) }, data.count);
  const perEpoch: number[] = [];
  const t0 = performance.now();
  let images = 0;
  let imageSeconds = 0;
  await train(state, data, {
    onStep: (s) => {
      images += BATCH;
      imageSeconds += s.seconds;
    },
    onEpoch: (e) => {
      perEpoch.push(e.evaluation!.accuracy);
      log(`  epoch ${e.epoch + 1}/${EPOCHS}: train loss ${e.meanLoss.toFixed(4)}, train acc ${pct(e.trainAccuracy)}, test acc (${heldOut.count} digits) ${pct(e.evaluation!.accuracy)}, ${e.seconds.toFixed(1)} s training + ${e.evaluation!.seconds.toFixed(1)} s evaluation [${elapsed()}]`);
    },
    evaluation: { data: heldOut, batchSize: 250, ...(lambda !== undefined ? { lambda } : {}) },
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`  ${(images / imageSeconds).toFixed(0)} training images/s`);
  // The unrolled iterations are proximal-gradient steps only while c_i·L_i < 2 (L_i = ‖D_i‖₂²); training does
  // not enforce it, so report where it ended.
  const steps = resolveLayers(model).map((l) => {
    const c = state.params[`c${l.index}`]![0]!;
    const L = lipschitzOfLayer(l, state.params[`W${l.index}`]!, 30);
    return `layer ${l.index}: c = ${c.toFixed(3)}, L = ${L.toFixed(3)}, c·L = ${(c * L).toFixed(2)}`;
  });
  log(`  learned steps against ‖D_i‖₂²: ${steps.join('; ')}`);
  return { perEpoch, params: state.params, seconds };
}

function confusionText(r: EvalResult): string {
  const rows = r.confusion.map((row, i) => `    ${i} | ${row.map((v) => String(v).padStart(5)).join('')}`);
  return [`      | ${Array.from({ length: 10 }, (_, i) => String(i).padStart(5)).join('')}   (rows: true digit, columns: predicted)`, ...rows].join('\n');
}

async function main(): Promise<void> {
  log(`MNIST: CNN (T = 0) vs ML-FISTA (T = ${T}) on the ML-ISTA paper's network; SDNet-style λ sweep under noise`);
  log(`machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown'}; onnxruntime-node CPU provider`);
  log(`training: the first ${TRAIN} MNIST training digits, ${EPOCHS} epochs, batch ${BATCH} (partial batch dropped), Adam lr ${LR} (×0.3 from epoch ${Math.max(1, EPOCHS - 1) + 1}), seed ${SEED}`);
  log(`preprocessing: x/255, then (x − 0.1307)/0.3081 (the authors' normalisation); per-epoch test accuracy on the first ${EVAL} test digits, final on all 10000`);

  const data = await loadMnist({ split: 'train', limit: TRAIN, normalize: 'mean-std' });
  const test = await loadMnist({ split: 'test', normalize: 'mean-std' });
  const heldOut = subset(test, 0, EVAL);

  const cnnModel = mnistPaperModel('cnn');
  const fistaModel = mnistPaperModel('ml-fista', { T });
  const cnn = await run('CNN', cnnModel, data, heldOut);
  const cnnFinal = await evaluate(cnnModel, cnn.params, test, { batchSize: 250 });
  log(`  CNN: test accuracy on all 10000 digits ${pct(cnnFinal.accuracy)} (loss ${cnnFinal.loss.toFixed(4)}) [${elapsed()}]`);
  const fista = await run('ML-FISTA', fistaModel, data, heldOut);
  const fistaFinal = await evaluate(fistaModel, fista.params, test, { batchSize: 250 });
  log(`  ML-FISTA: test accuracy on all 10000 digits ${pct(fistaFinal.accuracy)} (loss ${fistaFinal.loss.toFixed(4)}) [${elapsed()}]`);

  log(`\n== Per-epoch test accuracy (first ${EVAL} test digits)`);
  log(`  epoch | CNN (T=0) | ML-FISTA (T=${T})`);
  for (let e = 0; e < EPOCHS; e++) log(`  ${String(e + 1).padStart(5)} | ${pct(cnn.perEpoch[e]!).padStart(9)} | ${pct(fista.perEpoch[e]!).padStart(9)}`);
  log(`  final, all 10000 test digits: CNN ${pct(cnnFinal.accuracy)}, ML-FISTA ${pct(fistaFinal.accuracy)} (${fistaFinal.accuracy > cnnFinal.accuracy ? 'ML-FISTA ahead' : fistaFinal.accuracy < cnnFinal.accuracy ? 'CNN ahead' : 'tied'} by ${(100 * Math.abs(fistaFinal.accuracy - cnnFinal.accuracy)).toFixed(2)} points)`);
  log(`  training time: CNN ${cnn.seconds.toFixed(0)} s, ML-FISTA ${fista.seconds.toFixed(0)} s`);
  log(`  ML-FISTA confusion matrix (all 10000 test digits):\n${confusionText(fistaFinal)}`);

  if (args['skip-sdnet']) return;
  const sdModel = mnistSdnetModel({ T: SDNET_T, lambda: SDNET_LAMBDA });
  const sd = await run(`SDNet-style (CSC layer 1, ${SDNET_T} FISTA steps, trained with λ = ${SDNET_LAMBDA})`, sdModel, data, heldOut, SDNET_LAMBDA);
  log(`\n== Accuracy against λ under additive Gaussian noise (first ${SDNET_EVAL} test digits; noise on the [0, 1] scale, seed ${NOISE_SEED}, before normalisation)`);
  log(`  σ    | ${LAMBDAS.map((l) => `λ=${l}`.padStart(8)).join(' ')} | best λ | CNN (no λ)`);
  for (const sigma of SIGMAS) {
    const noisy = await loadMnist({ split: 'test', limit: SDNET_EVAL, normalize: 'mean-std', ...(sigma > 0 ? { noise: { sigma, seed: NOISE_SEED } } : {}) });
    const accs: number[] = [];
    for (const lambda of LAMBDAS) accs.push((await evaluate(sdModel, sd.params, noisy, { batchSize: 250, lambda })).accuracy);
    const cnnAcc = (await evaluate(cnnModel, cnn.params, noisy, { batchSize: 250 })).accuracy;
    const best = accs.indexOf(Math.max(...accs));
    log(`  ${sigma.toFixed(2)} | ${accs.map((a) => pct(a).padStart(8)).join(' ')} | ${String(LAMBDAS[best]).padStart(6)} | ${pct(cnnAcc)}   [${elapsed()}]`);
  }
  log(`\ntotal ${elapsed()}`);
}

await main();

import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadDictionaryFile, loadSignalFile, writeNpzFile, type NdArray } from '../../engine/io';
import { ALGORITHMS, runPursuit, type Algorithm, type PursuitResult, type ThresholdKind } from '../../engine/pursuit';
import { Runtime } from '../../engine/runtime/session';
import { CliError, parseList, printJson, progressBar } from '../output';
import { parseProviders, perLayer } from './shared';

interface PursueOptions {
  signal: string;
  dict: string;
  stride?: string;
  pad?: string;
  algorithm: Algorithm;
  lambda: string;
  iterations: string;
  tol?: string;
  chunk?: string;
  threshold?: ThresholdKind;
  provider?: string;
  threads?: string;
  out?: string;
  mask?: string;
  json?: boolean;
}

export function registerPursue(program: Command): void {
  program
    .command('pursue')
    .description('run a pursuit of a signal over one or more convolutional dictionaries')
    .requiredOption('--signal <file>', 'signal .npy ([B,C,H,W], [C,H,W] or [H,W]; float32/float64) or .png')
    .requiredOption('--dict <files>', 'dictionaries W1.npy[,W2.npy,...], each [m_i, m_{i-1}, k, k]')
    .option('--stride <list>', 'stride per layer (one value applies to all)', '1')
    .option('--pad <list>', 'symmetric zero padding per layer', '0')
    .addOption(new Option('--algorithm <name>', 'pursuit').choices([...ALGORITHMS]).makeOptionMandatory())
    .requiredOption('--lambda <list>', 'λ per layer (the threshold for thr/layered-thr)')
    .option('--iterations <n>', 'iterations (per layer for layered-bp)', '100')
    .option('--tol <t>', 'stop when the relative change of the code is below t', '0')
    .option('--chunk <n>', 'iterations unrolled per graph', '10')
    .addOption(new Option('--threshold <kind>', 'threshold function').choices(['soft', 'soft-nonneg', 'hard']))
    .option('--provider <list>', 'execution providers to try in order (cuda,webgpu,cpu)')
    .option('--threads <n>', 'CPU intra-op threads')
    .option('--out <file>', 'write the codes to this .npz as gamma1, gamma2, ...')
    .option('--mask <file>', 'inpainting (ista/fista): .npy or .png, 1 where the signal is known, 0 where missing')
    .option('--json', 'machine-readable output')
    .action(async (o: PursueOptions) => {
      const result = await pursue(o);
      if (o.json) return printJson(summarize(result, o.out));
      console.log(`${result.algorithm} on ${result.provider}: ${result.iterations} iterations in ${result.seconds.toFixed(2)} s (${result.stopReason})`);
      if (result.history.length) console.log(`objective ${result.history[0]!.objective.toPrecision(6)} → ${result.history.at(-1)!.objective.toPrecision(6)}`);
      for (const l of result.layers) console.log(`  layer ${l.layer}: objective ${l.objective.toPrecision(6)}, nnz ${l.nnz}, density ${(l.density * 100).toFixed(2)}%`);
      if (o.out) console.log(`codes written to ${o.out}`);
    });
}

async function pursue(o: PursueOptions): Promise<PursuitResult> {
  const dictFiles = o.dict.split(',').map((s) => s.trim()).filter(Boolean);
  if (o.out && !/\.npz$/i.test(o.out)) throw new CliError(`--out ${o.out}: the codes are written as a .npz file`);
  const signal = await loadSignalFile(o.signal);
  const weights = await Promise.all(dictFiles.map((f, i) => loadDictionaryFile(f, i + 1)));
  const K = weights.length;
  const strides = perLayer(o.stride ? parseList(o.stride, '--stride') : undefined, K, 1, '--stride');
  const pads = perLayer(o.pad ? parseList(o.pad, '--pad') : undefined, K, 0, '--pad');
  const lambdas = perLayer(parseList(o.lambda, '--lambda'), K, 0, '--lambda');
  const iterations = Number(o.iterations);
  if (!Number.isInteger(iterations) || iterations < 0) throw new CliError(`--iterations: "${o.iterations}" is not a non-negative integer`);
  const mask = o.mask ? await loadSignalFile(o.mask) : undefined;
  if (mask && mask.shape.join() !== signal.shape.join()) throw new CliError(`--mask ${o.mask}: shape [${mask.shape.join(', ')}] differs from the signal's [${signal.shape.join(', ')}]`);
  const runtime = new Runtime({ providers: o.provider ? parseProviders(o.provider) : undefined, intraOpThreads: o.threads ? Number(o.threads) : undefined });
  const bar = o.json ? undefined : progressBar(o.algorithm);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await runPursuit(
      runtime,
      { signal, layers: weights.map((w, i) => ({ weights: w, stride: strides[i]!, pad: pads[i]! })) },
      {
        algorithm: o.algorithm,
        lambdas,
        iterations,
        tol: Number(o.tol ?? 0),
        chunk: Number(o.chunk ?? 10),
        threshold: o.threshold,
        ...(mask ? { mask } : {}),
        signal: abort.signal,
        onProgress: (p) => bar?.update(p.iteration / Math.max(p.totalIterations, 1), `it ${p.iteration} obj ${p.objective.toPrecision(5)}`),
      },
    );
    bar?.done();
    if (o.out) {
      const arrays = new Map<string, NdArray>();
      result.codes.forEach((c, i) => arrays.set(`gamma${i + 1}`, { dtype: 'float32', shape: [...c.shape], data: c.data as Float32Array }));
      await writeNpzFile(path.resolve(o.out), arrays);
    }
    return result;
  } finally {
    process.off('SIGINT', onSigint);
    await runtime.dispose();
  }
}

export function summarize(r: PursuitResult, out?: string) {
  return {
    algorithm: r.algorithm,
    provider: r.provider,
    iterations: r.iterations,
    stopReason: r.stopReason,
    seconds: r.seconds,
    history: r.history.map((h) => ({ iteration: h.iteration, objective: h.objective, seconds: h.seconds, layer: h.layer })),
    layers: r.layers.map((l) => ({ layer: l.layer, objective: l.objective, nnz: l.nnz, density: l.density, residual: l.residual, l1: l.l1, stepSize: l.stepSize })),
    out: out ?? null,
  };
}

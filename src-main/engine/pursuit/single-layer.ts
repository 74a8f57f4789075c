/** Runs ISTA or FISTA on one convolutional layer; shared by the ISTA, FISTA and layered-BP modules. */
import type { HostTensor, ProviderName, Runtime } from '../runtime/session';
import type { SynthesisMode } from '../ops/dictionary';
import { geometryOf } from './common';
import { defaultChunk, iterate, type IterateResult } from './driver';
import { initialProxGradState, proxGradChunkRunner, type ProxGradState } from './proximal-gradient';
import type { Algorithm, LayerSpec, PursuitOptions } from './types';

export interface SingleLayerRun {
  readonly runtime: Runtime;
  readonly algorithm: Algorithm;
  readonly input: HostTensor;
  readonly layer: LayerSpec;
  readonly layerIndex: number;
  readonly codeShape: readonly number[];
  readonly lambda: number;
  readonly step: number;
  readonly momentum: boolean;
  readonly options: PursuitOptions;
  readonly startedAt: number;
  readonly offset?: number;
  readonly totalIterations?: number;
  readonly initialCode?: HostTensor;
  /** Codes of the layers already solved (layered BP), reported with progress. */
  readonly codesBefore?: readonly HostTensor[];
}

export async function solveSingleLayer(r: SingleLayerRun): Promise<IterateResult<ProxGradState> & { provider: ProviderName | undefined }> {
  const setup = {
    runtime: r.runtime,
    y: r.input,
    weights: r.layer.weights,
    layer: geometryOf(r.layer),
    codeShape: r.codeShape,
    lambda: r.lambda,
    step: r.step,
    threshold: r.options.threshold ?? 'soft',
    momentum: r.momentum,
    restart: r.options.restart ?? false,
    ...(r.options.mask ? { mask: r.options.mask } : {}),
    synthesisMode: (r.options.synthesis ?? 'auto') as SynthesisMode,
  };
  const initial = await initialProxGradState(setup, r.initialCode);
  return iterate(initial, {
    algorithm: r.algorithm,
    layer: r.layerIndex,
    iterations: r.options.iterations,
    chunk: r.options.chunk ?? defaultChunk(r.codeShape.reduce((a, b) => a * b, 1)),
    tol: r.options.tol ?? 0,
    offset: r.offset,
    totalIterations: r.totalIterations,
    startedAt: r.startedAt,
    signal: r.options.signal,
    onProgress: r.options.onProgress,
    runChunk: proxGradChunkRunner(setup),
    codesOf: (state) => [...(r.codesBefore ?? []), state.gamma],
  });
}

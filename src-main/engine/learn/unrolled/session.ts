/**
 * One ONNX Runtime CPU session per graph, compiled once and run many times.
 *
 * The engine's `Runtime.run(graph, feeds)` looks its session up by emitting the graph to ONNX bytes and
 * hashing them on every call; for the training graph of the paper's model with T = 6 (567 nodes) that is
 * 20–40 ms per step, which a training loop pays thousands of times. Until `Runtime` can memoise by GraphIR
 * (see the report), training and evaluation hold their session here, with the same session options as
 * `Runtime` (CPU provider, no spinning, sequential execution).
 */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { emitOnnx } from '../../graph/emit';
import type { DType, GraphIR } from '../../graph/ir';
import type { HostTensor } from '../../runtime/session';

export interface SessionOptions {
  /** CPU intra-op threads (default: the machine's parallelism, at most 8). */
  readonly intraOpThreads?: number;
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

export class CompiledGraph {
  private constructor(
    readonly graph: GraphIR,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(graph: GraphIR, o: SessionOptions = {}): Promise<CompiledGraph> {
    const session = await ort.InferenceSession.create(emitOnnx(graph), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: o.intraOpThreads ?? Math.max(1, Math.min(availableParallelism(), 8)),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new CompiledGraph(graph, session);
  }

  /** Runs the graph; feeds are checked against the declared inputs (name, dtype, shape). */
  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const input of this.graph.inputs) {
      const t = feeds[input.name];
      if (!t) throw new Error(`graph ${this.graph.name}: missing input "${input.name}"`);
      if (t.dtype !== input.dtype || t.shape.length !== input.shape.length || t.shape.some((d, i) => d !== input.shape[i])) {
        throw new Error(`graph ${this.graph.name}: input "${input.name}" must be ${input.dtype}[${input.shape.join(', ')}], got ${t.dtype}[${t.shape.join(', ')}]`);
      }
      ortFeeds[input.name] = new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.shape]);
    }
    const results = await this.session.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const o of this.graph.outputs) {
      const r = results[o.name]!;
      out[o.name] = { dtype: o.dtype, shape: [...r.dims], data: r.data as Float32Array };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

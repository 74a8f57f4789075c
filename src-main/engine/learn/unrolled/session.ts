/**
 * A graph compiled once and run many times by training and evaluation, through the engine's Runtime: so
 * training uses the same provider order and fallback (CUDA → WebGPU → CPU) as every other run and records the
 * provider that ran it. The Runtime finds a graph's session by the GraphIR object, so a training step pays no
 * re-emission or hashing.
 */
import type { GraphIR } from '../../graph/ir';
import { Runtime, type HostTensor, type ProviderName } from '../../runtime/session';

export interface SessionOptions {
  /** CPU intra-op threads when this module creates its own Runtime (default: the Runtime's choice). */
  readonly intraOpThreads?: number;
  /** The Runtime to run on (a session's, so providers and caches are shared); default a private one. */
  readonly runtime?: Runtime;
  /** Provider order for a private Runtime. */
  readonly providers?: readonly ProviderName[];
}

export class CompiledGraph {
  private constructor(
    readonly graph: GraphIR,
    private readonly runtime: Runtime,
    private readonly ownsRuntime: boolean,
  ) {}

  static async create(graph: GraphIR, o: SessionOptions = {}): Promise<CompiledGraph> {
    const runtime = o.runtime ?? new Runtime({ ...(o.providers ? { providers: o.providers } : {}), ...(o.intraOpThreads !== undefined ? { intraOpThreads: o.intraOpThreads } : {}) });
    await runtime.prepare(graph);
    return new CompiledGraph(graph, runtime, !o.runtime);
  }

  /** The provider of the last run. */
  get provider(): ProviderName | undefined {
    return this.runtime.lastProvider;
  }

  /** Runs the graph; the Runtime checks the feeds against the declared inputs (name, dtype, shape). */
  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    return (await this.runtime.run(this.graph, feeds)).outputs;
  }

  async release(): Promise<void> {
    if (this.ownsRuntime) await this.runtime.dispose();
  }
}

/**
 * ONNX Runtime sessions: provider choice with explicit fallback, a session cache keyed by the graph's bytes
 * (which encode its structure and static shapes) and the provider, and conversion between host tensors and
 * ort.Tensor. ONNX Runtime throws instead of falling back when a provider is missing (no CUDA library, no
 * WebGPU adapter), so every provider in the requested order is tried in turn and the reason recorded.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import type { DType, GraphIR, Shape } from '../graph/ir';
import { sizeOf } from '../graph/ir';
import { emitOnnx } from '../graph/emit';
import { estimateMacs } from './cost';

export type ProviderName = 'cuda' | 'webgpu' | 'cpu';

/**
 * When no op of a graph reaches this many multiply–adds, one CPU thread beats several: the ops are too small
 * to split (see RuntimeOptions.intraOpThreads).
 */
export const SMALL_OP_MACS = 20e6;
export const DEFAULT_PROVIDER_ORDER: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];
export const PROVIDER_NAMES: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

export type HostData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A dense tensor on the host: typed data plus shape, C order. */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: HostData;
}

export function hostTensor(shape: Shape, data: Float32Array): HostTensor;
export function hostTensor(shape: Shape, data: HostData, dtype?: DType): HostTensor;
export function hostTensor(shape: Shape, data: HostData, dtype?: DType): HostTensor {
  const dt = dtype ?? dtypeOf(data);
  if (data.length !== sizeOf(shape)) throw new Error(`tensor data has ${data.length} values but shape [${shape.join(', ')}] needs ${sizeOf(shape)}`);
  return { dtype: dt, shape: [...shape], data };
}

function dtypeOf(data: HostData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

export class ProviderUnavailableError extends Error {
  constructor(readonly attempts: readonly { provider: ProviderName; reason: string }[]) {
    super(`no execution provider could run the graph: ${attempts.map((a) => `${a.provider} (${a.reason})`).join('; ')}`);
    this.name = 'ProviderUnavailableError';
  }
}

export interface RuntimeOptions {
  /** Providers to try, in order. CPU is always available. */
  readonly providers?: readonly ProviderName[];
  /**
   * CPU intra-op threads for every session. Unset, each graph gets its own: one thread when all its ops are
   * small (below SMALL_OP_MACS), else the machine's parallelism. Measured on 2 vCPUs: a 28×28 two-layer
   * ML-FISTA ran 25% faster on one thread, csc-256 FISTA 30% faster on two. Spinning is always off: spinning
   * workers steal the core that does the work.
   */
  readonly intraOpThreads?: number;
  readonly cacheLimit?: number;
}

interface CachedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ProviderName;
  readonly buildMs: number;
}

export interface RunResult {
  readonly outputs: Record<string, HostTensor>;
  readonly provider: ProviderName;
}

export class Runtime {
  readonly providers: readonly ProviderName[];
  /** Threads for large graphs (and for every graph when set explicitly). */
  readonly intraOpThreads: number;
  private readonly fixedThreads: boolean;
  private readonly cache = new Map<string, Promise<CachedSession>>();
  private readonly byGraph = new WeakMap<GraphIR, { key: string; entry: Promise<CachedSession> }>();
  private readonly unavailable = new Map<ProviderName, string>();
  private readonly cacheLimit: number;
  /** The provider of the most recent run. */
  lastProvider: ProviderName | undefined;

  constructor(options: RuntimeOptions = {}) {
    // Provider failures are caught and reported by the fallback below; ONNX Runtime's own logger would
    // print them again as errors on stderr.
    if (!process.env.SPARSELAND_DEBUG) ort.env.logLevel = 'fatal';
    this.providers = options.providers?.length ? [...options.providers] : [...DEFAULT_PROVIDER_ORDER];
    for (const p of this.providers) if (!PROVIDER_NAMES.includes(p)) throw new Error(`unknown provider "${p}" (expected one of ${PROVIDER_NAMES.join(', ')})`);
    this.fixedThreads = options.intraOpThreads !== undefined;
    this.intraOpThreads = options.intraOpThreads ?? Math.max(1, Math.min(availableParallelism(), 8));
    this.cacheLimit = options.cacheLimit ?? 64;
  }

  /** Providers ONNX Runtime reports as bundled with this build (a bundled provider may still lack a device). */
  static bundledProviders(): ProviderName[] {
    return ort
      .listSupportedBackends()
      .filter((b) => b.bundled && PROVIDER_NAMES.includes(b.name as ProviderName))
      .map((b) => b.name as ProviderName);
  }

  static version(): string {
    return ort.env.versions.node ?? ort.env.versions.common;
  }

  /** Reasons recorded for providers that failed to start in this runtime. */
  unavailableProviders(): ReadonlyMap<ProviderName, string> {
    return this.unavailable;
  }

  async prepare(graph: GraphIR): Promise<CachedSession> {
    // A graph run many times (every chunk, every training step) skips re-emitting and hashing.
    const known = this.byGraph.get(graph);
    if (known && this.cache.get(known.key) === known.entry) return known.entry;
    const bytes = emitOnnx(graph);
    const key = createHash('sha256').update(bytes).digest('hex');
    let entry = this.cache.get(key);
    if (!entry) {
      const threads = this.fixedThreads || estimateMacs(graph).largestOp >= SMALL_OP_MACS ? this.intraOpThreads : 1;
      entry = this.createSession(bytes, threads);
      entry.catch(() => this.cache.delete(key));
      this.cache.set(key, entry);
      if (this.cache.size > this.cacheLimit) {
        const oldest = this.cache.keys().next().value as string;
        const evicted = this.cache.get(oldest);
        this.cache.delete(oldest);
        void evicted?.then((s) => s.session.release()).catch(() => undefined);
      }
    } else {
      // Refresh recency for the LRU order.
      this.cache.delete(key);
      this.cache.set(key, entry);
    }
    this.byGraph.set(graph, { key, entry });
    return entry;
  }

  async run(graph: GraphIR, feeds: Readonly<Record<string, HostTensor>>): Promise<RunResult> {
    const { session, provider } = await this.prepare(graph);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const input of graph.inputs) {
      const t = feeds[input.name];
      if (!t) throw new Error(`graph ${graph.name}: missing input "${input.name}"`);
      if (t.dtype !== input.dtype || t.shape.length !== input.shape.length || t.shape.some((d, i) => d !== input.shape[i])) {
        throw new Error(`graph ${graph.name}: input "${input.name}" must be ${input.dtype}[${input.shape.join(', ')}], got ${t.dtype}[${t.shape.join(', ')}]`);
      }
      ortFeeds[input.name] = new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.shape]);
    }
    const results = await session.run(ortFeeds);
    this.lastProvider = provider;
    const outputs: Record<string, HostTensor> = {};
    for (const out of graph.outputs) {
      const r = results[out.name]!;
      outputs[out.name] = { dtype: out.dtype, shape: [...r.dims], data: toHostData(out.dtype, r.data) };
    }
    return { outputs, provider };
  }

  async dispose(): Promise<void> {
    const entries = [...this.cache.values()];
    this.cache.clear();
    for (const e of entries) await e.then((s) => s.session.release()).catch(() => undefined);
  }

  private async createSession(bytes: Uint8Array, threads: number): Promise<CachedSession> {
    const attempts: { provider: ProviderName; reason: string }[] = [];
    const bundled = Runtime.bundledProviders();
    for (const provider of this.providers) {
      if (!bundled.includes(provider)) this.unavailable.set(provider, 'not installed with this onnxruntime-node (its install step fetches it where the machine can)');
      const known = this.unavailable.get(provider);
      if (known) {
        attempts.push({ provider, reason: known });
        continue;
      }
      const started = performance.now();
      try {
        const session = await ort.InferenceSession.create(bytes, this.sessionOptions(provider, threads));
        return { session, provider, buildMs: performance.now() - started };
      } catch (err) {
        const reason = firstLine(err);
        // A missing library or adapter will not appear later in this process; a graph the provider cannot
        // compile is specific to this graph, so only the former is remembered.
        if (/adapter|shared library|not (?:available|supported|enabled)|Failed to load|No supported/i.test(reason)) this.unavailable.set(provider, reason);
        attempts.push({ provider, reason });
      }
    }
    throw new ProviderUnavailableError(attempts);
  }

  private sessionOptions(provider: ProviderName, threads: number): ort.InferenceSession.SessionOptions {
    return {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
  }
}

function toHostData(dtype: DType, data: unknown): HostData {
  switch (dtype) {
    case 'float32':
      return data as Float32Array;
    case 'float64':
      return data as Float64Array;
    case 'int64':
      return data as BigInt64Array;
    case 'int32':
      return data as Int32Array;
    case 'bool':
      return Uint8Array.from(data as ArrayLike<number>);
  }
}

/** The readable part of an ONNX Runtime error (its messages lead with a source location and an assertion). */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => l.trim()) ?? text;
  const readable = line.match(/(Failed to .*|[^:]*(?:not (?:found|available|supported)|cannot open).*)$/);
  return (readable?.[1] ?? line).trim().slice(0, 400);
}

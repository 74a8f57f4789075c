/** Which execution providers actually run here: each bundled provider is tried on a one-op graph. */
import { GraphBuilder } from '../graph/builder';
import { PROVIDER_NAMES, Runtime, hostTensor, type ProviderName } from './session';

export interface ProviderProbe {
  readonly available: ProviderName[];
  readonly unavailable: { provider: ProviderName; reason: string }[];
}

export async function probeProviders(): Promise<ProviderProbe> {
  const g = new GraphBuilder('probe');
  const x = g.input('x', 'float32', [4]);
  g.output('y', g.relu(x));
  const graph = g.toIR();
  const bundled = Runtime.bundledProviders();
  const available: ProviderName[] = [];
  const unavailable: { provider: ProviderName; reason: string }[] = [];
  for (const provider of PROVIDER_NAMES) {
    if (!bundled.includes(provider)) {
      unavailable.push({ provider, reason: 'not bundled with this onnxruntime-node install' });
      continue;
    }
    const rt = new Runtime({ providers: [provider], intraOpThreads: 1 });
    try {
      await rt.run(graph, { x: hostTensor([4], Float32Array.of(-1, 0, 1, 2)) });
      available.push(provider);
    } catch (err) {
      unavailable.push({ provider, reason: (err as Error).message.replace(/^no execution provider could run the graph: \w+ \(/, '').replace(/\)$/, '') });
    } finally {
      await rt.dispose();
    }
  }
  return { available, unavailable };
}

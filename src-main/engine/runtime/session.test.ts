import { afterEach, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder';
import { ProviderUnavailableError, Runtime, hostTensor } from './session';

function reluGraph(n: number) {
  const g = new GraphBuilder('relu');
  const x = g.input('x', 'float32', [n]);
  g.output('y', g.relu(x));
  return g.toIR();
}

const runtimes: Runtime[] = [];
function runtime(...args: ConstructorParameters<typeof Runtime>) {
  const r = new Runtime(...args);
  runtimes.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.dispose();
});

describe('ONNX Runtime sessions', () => {
  it('falls back along the provider order and records the provider that ran, with the reasons the others did not', async () => {
    const rt = runtime({ providers: ['cuda', 'webgpu', 'cpu'] });
    const r = await rt.run(reluGraph(4), { x: hostTensor([4], Float32Array.of(-1, 0, 2, -3)) });
    expect(Array.from(r.outputs.y!.data as Float32Array)).toEqual([0, 0, 2, 0]);
    const bundled = Runtime.bundledProviders();
    if (!bundled.includes('cuda')) expect(rt.unavailableProviders().get('cuda')).toMatch(/not installed/);
    if (r.provider === 'cpu') {
      // Every provider before CPU must have said why it could not run.
      expect(rt.unavailableProviders().has('webgpu')).toBe(true);
    }
    expect(['cuda', 'webgpu', 'cpu']).toContain(r.provider);
  });

  it('fails with every provider’s reason when none can run', async () => {
    const bundled = Runtime.bundledProviders();
    if (bundled.includes('cuda')) return; // a machine with the CUDA provider installed cannot show this
    const rt = runtime({ providers: ['cuda'] });
    const run = rt.run(reluGraph(4), { x: hostTensor([4], new Float32Array(4)) });
    await expect(run).rejects.toThrow(ProviderUnavailableError);
    await expect(run).rejects.toThrow(/cuda \(not installed/);
  });

  it('caches sessions by graph (structure and shapes) and provider', async () => {
    const rt = runtime({ providers: ['cpu'] });
    const a = await rt.prepare(reluGraph(4));
    const b = await rt.prepare(reluGraph(4));
    const c = await rt.prepare(reluGraph(5));
    expect(b.session).toBe(a.session);
    expect(c.session).not.toBe(a.session);
  });

  it('refuses feeds of the wrong shape or dtype, naming the input', async () => {
    const rt = runtime({ providers: ['cpu'] });
    await expect(rt.run(reluGraph(4), { x: hostTensor([5], new Float32Array(5)) })).rejects.toThrow(/input "x" must be float32\[4\], got float32\[5\]/);
    await expect(rt.run(reluGraph(4), {})).rejects.toThrow(/missing input "x"/);
    expect(() => runtime({ providers: ['tpu' as never] })).toThrow(/unknown provider "tpu"/);
  });
});

describe('graph cost', () => {
  it('counts the multiply–adds of convolutions and matrix products from static shapes', async () => {
    const { estimateMacs } = await import('./cost');
    const g = new GraphBuilder('cost');
    const x = g.input('x', 'float32', [2, 3, 10, 10]);
    const w = g.input('w', 'float32', [4, 3, 3, 3]);
    const y = g.conv(x, w);
    g.output('y', y);
    g.output('s', g.convTranspose(y, w, { outputShape: [10, 10] }));
    const a = g.input('a', 'float32', [5, 7]);
    const b = g.input('b', 'float32', [7, 6]);
    g.output('m', g.matmul(a, b));
    const conv = 2 * 4 * 8 * 8 * 3 * 9;
    expect(estimateMacs(g.toIR())).toEqual({ total: conv + conv + 5 * 6 * 7 + 2 * 4 * 8 * 8 + 2 * 3 * 10 * 10 + 5 * 6, largestOp: conv });
  });
});

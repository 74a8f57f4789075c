/** Helpers for checking graphs against the float64 reference interpreter in tests. */
import type { GraphIR, NodeIR } from '../graph/ir';
import { maxAbs } from './fixtures';

/** The same graph in float64: every float32 value, initializer and Cast target promoted. */
export function promoteToFloat64(ir: GraphIR): GraphIR {
  const p = <T extends { dtype: string }>(v: T): T => (v.dtype === 'float32' ? { ...v, dtype: 'float64' } : v);
  return {
    ...ir,
    inputs: ir.inputs.map(p),
    outputs: ir.outputs.map(p),
    valueInfo: ir.valueInfo.map(p),
    initializers: ir.initializers.map((i) => (i.dtype === 'float32' ? { ...i, dtype: 'float64' as const, data: Float64Array.from(i.data as Float32Array) } : i)),
    nodes: ir.nodes.map((n): NodeIR => (n.opType === 'Cast' && n.attrs.to === 1 ? { ...n, attrs: { ...n.attrs, to: 11 } } : n)),
  };
}

/** Only the nodes the output `name` depends on, so finite differences do not pay for the gradient graph. */
export function pruneToOutput(ir: GraphIR, name: string): GraphIR {
  const needed = new Set([name]);
  const keep: NodeIR[] = [];
  for (let i = ir.nodes.length - 1; i >= 0; i--) {
    const n = ir.nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keep.push(n);
    for (const x of n.inputs) needed.add(x);
  }
  return { ...ir, nodes: keep.reverse(), outputs: ir.outputs.filter((o) => o.name === name) };
}

/** ‖a − b‖∞ / ‖b‖∞ (absolute when b is zero, e.g. for a gradient that must vanish). */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  const scale = maxAbs(b);
  return scale > 0 ? d / scale : d;
}

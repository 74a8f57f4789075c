/** Rough multiply–add counts of one run of a graph, from its static shapes: in all, and of its largest op. */
import type { GraphIR, Shape } from '../graph/ir';
import { sizeOf } from '../graph/ir';

export interface GraphCost {
  readonly total: number;
  readonly largestOp: number;
}

export function estimateMacs(graph: GraphIR): GraphCost {
  const shapes = new Map<string, Shape>();
  for (const v of [...graph.inputs, ...graph.initializers, ...graph.valueInfo, ...graph.outputs]) shapes.set(v.name, v.shape);
  let total = 0;
  let largestOp = 0;
  for (const n of graph.nodes) {
    let macs = 0;
    const out = shapes.get(n.outputs[0]!) ?? [];
    const w = shapes.get(n.inputs[1] ?? '') ?? [];
    switch (n.opType) {
      case 'Conv':
        macs += sizeOf(out) * (w[1] ?? 1) * sizeOf(w.slice(2));
        break;
      case 'ConvTranspose': {
        const x = shapes.get(n.inputs[0]!) ?? [];
        macs += sizeOf(x) * (w[1] ?? 1) * sizeOf(w.slice(2));
        break;
      }
      case 'MatMul':
      case 'Gemm': {
        const a = shapes.get(n.inputs[0]!) ?? [];
        macs += sizeOf(out) * (a[a.length - 1] ?? 1);
        break;
      }
      default:
        macs += sizeOf(out);
    }
    total += macs;
    largestOp = Math.max(largestOp, macs);
  }
  return { total, largestOp };
}

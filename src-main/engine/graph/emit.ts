/**
 * GraphIR → ONNX ModelProto bytes, encoded by protobufjs from the schema subset in onnx-schema.ts.
 * Tensor data is written as little-endian raw_data, which is what ONNX Runtime reads fastest.
 */
import protobuf from 'protobufjs';
import { IR_VERSION, OPSET_VERSION, type AttrValue, type GraphIR, type InitializerIR, type ValueIR } from './ir';
import { ONNX_DTYPE } from './builder';
import { ONNX_SUBSET_PROTO } from './onnx-schema';

const root = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export interface EmitOptions {
  readonly producerVersion?: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function emitOnnx(graph: GraphIR, options: EmitOptions = {}): Uint8Array {
  const message = ModelProto.fromObject({
    ir_version: IR_VERSION,
    producer_name: 'sparseland-studio',
    producer_version: options.producerVersion ?? '0',
    doc_string: options.docString ?? '',
    opset_import: [{ domain: '', version: OPSET_VERSION }],
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n, i) => ({
        name: `${n.opType}_${i}`,
        op_type: n.opType,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([name, v]) => attribute(name, v)),
      })),
      initializer: graph.initializers.map(tensorProto),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      value_info: graph.valueInfo.map(valueInfo),
    },
  });
  return ModelProto.encode(message).finish();
}

function attribute(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: integer expected, got ${v} (wrap floats with floatAttr)`);
    return { name, type: ATTR.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ('floats' in v) return { name, type: ATTR.FLOATS, floats: [...v.floats] };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  throw new Error(`attribute ${name}: unsupported value`);
}

function valueInfo(v: ValueIR): Record<string, unknown> {
  return { name: v.name, type: { tensor_type: { elem_type: ONNX_DTYPE[v.dtype], shape: { dim: v.shape.map((d) => ({ dim_value: d })) } } } };
}

function tensorProto(t: InitializerIR): Record<string, unknown> {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name: t.name, dims: [...t.shape], data_type: ONNX_DTYPE[t.dtype], raw_data: bytes };
}

/** Supervised unrolled ML-CSC networks: model descriptions, graphs, training, MNIST, ONNX export. */
export * from './model';
export * from './graph';
export * from './train';
export * from './mnist';
export * from './export';
export * from './presets';
export { CompiledGraph } from './session';

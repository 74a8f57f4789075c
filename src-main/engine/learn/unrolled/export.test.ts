/**
 * The exported .onnx stands alone: loaded from its file by a fresh onnxruntime-node InferenceSession (ort
 * imported directly, no engine code in the way) it gives the logits of the engine's forward graph, and it
 * carries its weights as initializers and its description in metadata_props.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ONNX_SUBSET_PROTO } from '../../graph/onnx-schema';
import { hostTensor, Runtime, type HostTensor } from '../../runtime/session';
import { mulberry32 } from '../../../../src-shared/math/random';
import { METADATA_KEYS, writeOnnxFile } from './export';
import { buildForwardGraph, GAMMA_K, IMAGES, LAMBDA, LOGITS } from './graph';
import { defineModel, initParameters, parameterSpecs, type UnrolledModel } from './model';
import { mnistPaperModel, mnistSdnetModel } from './presets';

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
const dirs: string[] = [];
afterAll(async () => {
  await runtime.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface DecodedModel {
  metadata_props: { key: string; value: string }[];
  graph: { input: { name: string }[]; output: { name: string }[]; initializer: { name: string }[] };
}
const ModelProto = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return s > 0 ? d / s : d;
}

const CASES: [string, UnrolledModel, number | undefined][] = [
  ['paper model, ML-FISTA T = 6', mnistPaperModel('ml-fista'), undefined],
  ['paper model, layered BP T = 2', mnistPaperModel('layered-bp', { T: 2 }), undefined],
  ['SDNet (λ baked in)', mnistSdnetModel({ T: 2 }), 0.07],
  [
    'MSD-CSC, ML-ISTA',
    defineModel({
      layers: [
        { filters: 4, kernel: 3, stride: 1 },
        { filters: 4, kernel: 3, stride: 1 },
      ],
      unrolling: 'ml-ista',
      T: 2,
      options: { variant: 'msd-csc' },
    }),
    undefined,
  ],
];

describe('ONNX export of a trained pursuit', () => {
  for (const [name, model, lambda] of CASES) {
    it(`${name}: a fresh InferenceSession on the file alone gives the engine's logits`, async () => {
      const batch = 3;
      const params = initParameters(model, 21);
      // Trained-looking parameters: biases and steps off their initial values.
      const rand = mulberry32(22);
      // (The authors' initial scale shrinks activations ~10× per layer, so deeper biases stay small.)
      for (const s of parameterSpecs(model)) if (s.role === 'bias') params[s.name] = params[s.name]!.map(() => -0.02 * Math.pow(0.05, s.layer - 1) * rand());
      const images = Float32Array.from({ length: batch * 784 }, () => rand());

      const dir = await mkdtemp(join(tmpdir(), 'unrolled-export-'));
      dirs.push(dir);
      const path = join(dir, 'model.onnx');
      await writeOnnxFile(path, model, params, { batchSize: batch, lambda, preprocessing: 'x/255' });

      const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
      expect([...session.inputNames]).toEqual([IMAGES]);
      expect([...session.outputNames].sort()).toEqual([GAMMA_K, LOGITS].sort());
      const result = await session.run({ [IMAGES]: new ort.Tensor('float32', images, [batch, 1, 28, 28]) });
      const logits = result[LOGITS]!;
      expect([...logits.dims]).toEqual([batch, 10]);
      await session.release();

      const feeds: Record<string, HostTensor> = { [IMAGES]: hostTensor([batch, 1, 28, 28], images) };
      for (const s of parameterSpecs(model)) feeds[s.name] = hostTensor(s.shape, params[s.name]!);
      if (model.options.variant === 'sdnet') feeds[LAMBDA] = hostTensor([], Float32Array.of(lambda!));
      const engine = await runtime.run(buildForwardGraph(model, batch), feeds);
      expect(maxRelDiff(logits.data as Float32Array, engine.outputs[LOGITS]!.data as Float32Array)).toBeLessThan(1e-5);
      expect(maxRelDiff(result[GAMMA_K]!.data as Float32Array, engine.outputs[GAMMA_K]!.data as Float32Array)).toBeLessThan(1e-5);
      expect((result[GAMMA_K]!.data as Float32Array).some((v) => v > 0)).toBe(true);

      // Weights inside, description in metadata_props.
      const decoded = ModelProto.toObject(ModelProto.decode(await readFile(path)), { defaults: true }) as unknown as DecodedModel;
      const initializers = new Set(decoded.graph.initializer.map((i) => i.name));
      for (const s of parameterSpecs(model)) expect(initializers.has(s.name), s.name).toBe(true);
      expect(decoded.graph.input.map((i) => i.name)).toEqual([IMAGES]);
      const meta = Object.fromEntries(decoded.metadata_props.map((p) => [p.key, p.value]));
      expect(JSON.parse(meta[METADATA_KEYS.model]!)).toEqual(JSON.parse(JSON.stringify(model)));
      expect(meta[METADATA_KEYS.batchSize]).toBe(String(batch));
      expect(meta[METADATA_KEYS.preprocessing]).toBe('x/255');
      if (lambda !== undefined) expect(meta[METADATA_KEYS.lambda]).toBe(String(lambda));
    });
  }
});

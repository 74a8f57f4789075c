import { describe, expect, it } from 'vitest';
import { DatasetImportParams, PreprocessStep } from '../../../src-shared/contract';
import { describeStep, fieldLabel, MAX_STEPS, moveStep, newStep, OP_ORDER, OPS, removeStep, rowToStep, stepsToForm, validateSteps, type StepForm } from './preprocess-form';

function row(op: StepForm['op'], values: Record<string, number | string> = {}): StepForm {
  const r = newStep(op);
  Object.assign(r.values, values);
  return r;
}

const RECORDED: PreprocessStep[] = [
  { op: 'grayscale' },
  { op: 'crop', x: 2, y: 3, width: 10, height: 12 },
  { op: 'resize', width: 32, height: 16 },
  { op: 'high-pass', sigma: 2.5 },
  { op: 'scale01' },
  { op: 'remove-mean' },
  { op: 'patches', size: 8, stride: 2, max: 500, seed: 7 },
  { op: 'split', testFraction: 0.25, seed: 3 },
];

describe('preprocessing form', () => {
  it('gives every step a valid default, so adding a step never starts with an error', () => {
    for (const op of OP_ORDER) {
      const v = validateSteps([newStep(op)]);
      expect(v.ok, op).toBe(true);
      if (v.ok) expect(PreprocessStep.parse(v.steps[0])).toEqual(v.steps[0]);
    }
    expect(new Set(OP_ORDER)).toEqual(new Set(Object.keys(OPS)));
  });

  it('round-trips recorded steps through the form exactly, order kept', () => {
    const v = validateSteps(stepsToForm(RECORDED));
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.steps).toEqual(RECORDED);
  });

  it('leaves an empty optional field out and fills the seed default, as the contract does', () => {
    const v = validateSteps([row('patches', { size: 6, stride: 3, max: '  ' })]);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.steps).toEqual([{ op: 'patches', size: 6, stride: 3, seed: 0 }]);
      expect('max' in v.steps[0]!).toBe(false);
    }
    // A recorded step without max comes back with an empty field.
    expect(stepsToForm([{ op: 'patches', size: 6, stride: 3, seed: 0 }])[0]!.values['max']).toBe('');
  });

  it('names the step and the field in each message, keyed steps.<index>.<field>', () => {
    const rows = [row('grayscale'), row('patches', { size: 1, stride: 'x' }), row('split', { testFraction: 1 }), row('high-pass', { sigma: 0 }), row('crop', { width: 2.5 })];
    const v = validateSteps(rows);
    expect(v.ok).toBe(false);
    expect(v.errors).toEqual({
      'steps.1.size': 'Step 2 (patches), size: Must be at least 2.',
      'steps.1.stride': 'Step 2 (patches), stride: Enter a number.',
      'steps.2.testFraction': 'Step 3 (train/test split), test fraction: Must be less than 1.',
      'steps.3.sigma': 'Step 4 (high-pass), σ (pixels): Must be greater than 0.',
      'steps.4.width': expect.stringMatching(/^Step 5 \(crop\), width: /),
    });
  });

  it('refuses a second split (the engine allows one) and more than the contract’s 16 steps', () => {
    const two = validateSteps([row('split'), row('scale01'), row('split')]);
    expect(two.ok).toBe(false);
    expect(two.errors['steps.2.op']).toBe('Step 3 (train/test split): the data is already split by step 1; only one split is allowed.');
    const many = validateSteps(Array.from({ length: MAX_STEPS + 1 }, () => row('scale01')));
    expect(many.ok).toBe(false);
    expect(many.errors['steps']).toBe('At most 16 preprocessing steps; remove 1.');
    expect(validateSteps(Array.from({ length: MAX_STEPS }, () => row('scale01'))).ok).toBe(true);
  });

  it('converts typed text to numbers, and non-numbers to NaN for the schema to refuse', () => {
    expect(rowToStep(row('resize', { width: ' 40 ', height: '20' }))).toEqual({ op: 'resize', width: 40, height: 20 });
    expect(Number.isNaN(rowToStep(row('resize', { width: 'wide' }))['width'])).toBe(true);
  });

  it('moves and removes steps without touching the others, clamped at the ends', () => {
    const rows = ['a', 'b', 'c', 'd'];
    expect(moveStep(rows, 0, 1)).toEqual(['b', 'a', 'c', 'd']);
    expect(moveStep(rows, 3, -1)).toEqual(['a', 'b', 'd', 'c']);
    expect(moveStep(rows, 1, 5)).toEqual(['a', 'c', 'd', 'b']);
    expect(moveStep(rows, 0, -1)).toEqual(rows);
    expect(moveStep(rows, 9, 1)).toEqual(rows);
    expect(removeStep(rows, 2)).toEqual(['a', 'b', 'd']);
    expect(rows).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives each new row its own key, so the list can reorder without mixing inputs', () => {
    const keys = new Set(Array.from({ length: 5 }, () => newStep('crop').uid));
    expect(keys.size).toBe(5);
  });

  it('describes recorded steps in words', () => {
    expect(RECORDED.map(describeStep)).toEqual([
      'grayscale',
      'crop 10×12 at (2, 3)',
      'resize to 32×16',
      'high-pass σ = 2.5',
      'scale01',
      'remove-mean',
      'patches 8×8, stride 2, at most 500, seed 7',
      'split 0.25 to test, seed 3',
    ]);
    expect(fieldLabel([row('crop')], 0, 'x')).toBe('Step 1 (crop), x');
  });

  it('produces steps the import parameters accept', () => {
    const v = validateSteps(stepsToForm(RECORDED));
    expect(v.ok).toBe(true);
    if (v.ok) expect(DatasetImportParams.safeParse({ path: '/d/x.png', preprocessing: v.steps }).success).toBe(true);
  });
});

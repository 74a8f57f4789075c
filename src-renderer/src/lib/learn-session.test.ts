import { describe, expect, it } from 'vitest';
import { float32Tensor } from '../../../src-shared/contract';
import { atomGridTitle, checkpointInfo, hasPreviewContent, isResumable } from './learn-session';

describe('learning session rules', () => {
  it('resumes a stopped, failed or interrupted session that has a checkpoint', () => {
    expect(isResumable({ kind: 'learning', status: 'cancelled', checkpointIteration: 4 })).toBe(true);
    expect(isResumable({ kind: 'learning', status: 'interrupted', checkpointIteration: 0 })).toBe(true);
    expect(isResumable({ kind: 'learning', status: 'failed', checkpointIteration: 2 })).toBe(true);
    expect(isResumable({ kind: 'learning', status: 'finished', checkpointIteration: 10 })).toBe(false);
    expect(isResumable({ kind: 'learning', status: 'running', checkpointIteration: 2 })).toBe(false);
    expect(isResumable({ kind: 'learning', status: 'cancelled' })).toBe(false);
    expect(isResumable({ kind: 'pursuit', status: 'cancelled', checkpointIteration: 3 })).toBe(false);
    expect(isResumable(null)).toBe(false);
  });

  it('shows the saved checkpoint, or while running the newest the schedule has made', () => {
    expect(checkpointInfo(undefined, 0, 2, true)).toBeNull();
    expect(checkpointInfo(undefined, 1, 2, true)).toBeNull();
    expect(checkpointInfo(undefined, 5, 2, true)).toEqual({ iteration: 4, saved: false });
    // After a cancel the host reports where it saved.
    expect(checkpointInfo(5, 5, 2, false)).toEqual({ iteration: 5, saved: true });
    // Resumed from 5: the saved one until the schedule passes it.
    expect(checkpointInfo(5, 5, 2, true)).toEqual({ iteration: 5, saved: true });
    expect(checkpointInfo(5, 6, 2, true)).toEqual({ iteration: 6, saved: false });
    // A past session without a live schedule shows only what was saved.
    expect(checkpointInfo(undefined, 7, 2, false)).toBeNull();
    expect(checkpointInfo(undefined, 7, 0, true)).toBeNull();
  });

  it('knows an empty preview and titles atom grids', () => {
    expect(hasPreviewContent({ runId: 'a', atoms: [] })).toBe(false);
    expect(hasPreviewContent(null)).toBe(false);
    expect(hasPreviewContent({ runId: 'a', atoms: [{ layer: 1, images: float32Tensor([1, 2, 2], new Float32Array(4)) }] })).toBe(true);
    expect(hasPreviewContent({ runId: 'a', atoms: [], input: float32Tensor([2, 2], new Float32Array(4)) })).toBe(true);
    expect(atomGridTitle(1, 1)).toBe('Dictionary atoms');
    expect(atomGridTitle(1, 2)).toBe('Layer 1 atoms');
    expect(atomGridTitle(2, 2)).toBe('Layer 2 effective atoms (D1⋯D2)');
  });
});

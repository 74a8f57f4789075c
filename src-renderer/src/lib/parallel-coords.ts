/**
 * Parallel coordinates of the selected runs: one axis per configuration parameter that differs among them
 * (numbers on a value axis, words and switches on a category axis) and one per final figure, one line per
 * run. An axis needs a value from every run (a line cannot pass a gap), so parameters some runs lack and
 * figures some runs did not report are left out and listed, so the chart can say why.
 */
import type { DiffRow, Leaf } from './config-diff';
import { valueLabel, valueOrder } from './learn-metrics';

export interface ParallelRun {
  readonly id: string;
  readonly name: string;
  readonly color: string;
  readonly finalObjective?: number | undefined;
  readonly finalValues: Readonly<Record<string, number>>;
}

export interface ParallelAxis {
  /** `config:params.atoms`, `metric:objective`, `metric:psnr`. */
  readonly key: string;
  readonly name: string;
  readonly type: 'value' | 'category';
  /** Category axes: the values in the order they first appear. */
  readonly categories?: readonly string[];
}

export interface ParallelLine {
  readonly id: string;
  readonly name: string;
  readonly color: string;
  /** One per axis: a number on a value axis, a category name on a category axis. */
  readonly values: readonly (number | string)[];
}

export interface ParallelData {
  readonly axes: readonly ParallelAxis[];
  readonly lines: readonly ParallelLine[];
  /** Axes left out because some run has no value for them. */
  readonly omitted: readonly string[];
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** `diff` is the config diff of the same runs in the same order. */
export function parallelData(runs: readonly ParallelRun[], diff: readonly DiffRow[]): ParallelData {
  const axes: ParallelAxis[] = [];
  const columns: (number | string)[][] = [];
  const omitted: string[] = [];

  for (const row of diff) {
    if (!row.differs) continue;
    const vals = row.values;
    if (vals.length !== runs.length) throw new Error(`the config diff has ${vals.length} runs, the chart ${runs.length}`);
    if (vals.every(isFiniteNumber)) {
      axes.push({ key: `config:${row.path}`, name: row.path, type: 'value' });
      columns.push(vals.slice() as number[]);
    } else if (vals.every((v): v is Exclude<Leaf, null> => v !== undefined && v !== null)) {
      const text = vals.map((v) => String(v));
      axes.push({ key: `config:${row.path}`, name: row.path, type: 'category', categories: [...new Set(text)] });
      columns.push(text);
    } else omitted.push(row.path);
  }

  const objectives = runs.map((r) => r.finalObjective);
  if (runs.length && objectives.every(isFiniteNumber)) {
    axes.push({ key: 'metric:objective', name: 'final objective', type: 'value' });
    columns.push(objectives as number[]);
  } else if (objectives.some(isFiniteNumber)) omitted.push('final objective');

  const names = [...new Set(runs.flatMap((r) => Object.keys(r.finalValues)))].sort(valueOrder);
  for (const name of names) {
    const vals = runs.map((r) => r.finalValues[name]);
    if (vals.every(isFiniteNumber)) {
      axes.push({ key: `metric:${name}`, name: valueLabel(name), type: 'value' });
      columns.push(vals as number[]);
    } else omitted.push(valueLabel(name));
  }

  const lines = runs.map((r, i) => ({ id: r.id, name: r.name, color: r.color, values: columns.map((c) => c[i]!) }));
  return { axes, lines, omitted };
}

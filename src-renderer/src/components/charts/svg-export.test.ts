import { describe, expect, it } from 'vitest';
import { configDiff } from '../../lib/config-diff';
import { parallelData } from '../../lib/parallel-coords';
import { paletteFor } from '../../lib/theme';
import './echarts';
import './echarts-compare';
import { overlayChartOption } from './overlay-option';
import { parallelChartOption } from './parallel-option';
import { optionToSvg } from './svg-export';

describe('optionToSvg', () => {
  it('draws a line chart as an SVG document of the requested size on the background', () => {
    const option = overlayChartOption(
      [
        { id: 'a', name: 'run A', color: '#3b7ddd', points: [[1, 3], [2, 2], [3, 1]] },
        { id: 'b', name: 'run B', color: '#e0702d', points: [[1, 4], [2, 1]] },
      ],
      { xName: 'iteration', yName: 'objective', logY: false, smoothing: 0.5 },
      paletteFor('light'),
    );
    const svg = optionToSvg(option, 480, 240, '#ffffff');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="480"');
    expect(svg).toContain('height="240"');
    expect(svg).toContain('run A');
    expect(svg).toMatch(/#3b7ddd|rgb\(59,\s*125,\s*221\)/i);
    expect(svg).toMatch(/<path[^>]*d="M/);
  });

  it('draws parallel coordinates', () => {
    const data = parallelData(
      [
        { id: 'a', name: 'A', color: '#3b7ddd', finalObjective: 2, finalValues: {} },
        { id: 'b', name: 'B', color: '#e0702d', finalObjective: 1, finalValues: {} },
      ],
      configDiff([{ k: 1 }, { k: 2 }]),
    );
    const svg = optionToSvg(parallelChartOption(data, paletteFor('dark')), 600, 300, '#181d26');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('final objective');
  });

  it('refuses a chart with no size', () => {
    expect(() => optionToSvg({}, 0, 100, '#fff')).toThrow(/no size/);
  });
});

/**
 * The ECharts parts the Compare view adds to echarts.ts: parallel coordinates (axes and series), and a
 * scrolling legend (many runs in one chart would otherwise wrap over the plot).
 */
import { ParallelChart, type ParallelSeriesOption } from 'echarts/charts';
import { LegendComponent, LegendScrollComponent, ParallelComponent, TooltipComponent, type LegendComponentOption, type ParallelComponentOption, type TooltipComponentOption } from 'echarts/components';
import { use, type ComposeOption } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([ParallelChart, ParallelComponent, LegendComponent, LegendScrollComponent, TooltipComponent, CanvasRenderer]);

/** The axis options of a parallel coordinate system (echarts does not export the type by name). */
export type ParallelAxisOption = NonNullable<ParallelComponentOption['parallelAxisDefault']>;
// ComposeOption with the parallel component types its dependency map as an index signature in echarts 6,
// which rejects every other key; the parallel parts are added by hand instead.
export type ParallelChartOption = ComposeOption<ParallelSeriesOption | LegendComponentOption | TooltipComponentOption> & {
  parallel?: ParallelComponentOption;
  parallelAxis?: ParallelAxisOption[];
};

/**
 * ECharts for server-side rendering: the core with only what the report's line charts need, so the host
 * bundle carries the line chart and the SVG renderer rather than every chart type. Loaded on first use.
 */
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, GridComponent, TitleComponent, LegendComponent, SVGRenderer]);

export { echarts };

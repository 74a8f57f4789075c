/**
 * A chart as SVG: the same option drawn by an off-screen ECharts instance with the SVG renderer (server-side
 * rendering mode, so no element is created and nothing flashes on screen), at the on-screen chart's size.
 * Vector output for papers and slides, next to the PNG.
 */
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([SVGRenderer]);

type AnyOption = Parameters<ReturnType<typeof init>['setOption']>[0];

/** Renders `option` (components and series already registered) to an SVG document on `background`. */
export function optionToSvg(option: AnyOption, width: number, height: number, background: string): string {
  if (!(width > 0 && height > 0)) throw new Error(`the chart has no size to draw at (${width}×${height})`);
  const chart = init(null, undefined, { renderer: 'svg', ssr: true, width: Math.round(width), height: Math.round(height) });
  try {
    chart.setOption({ ...(option as object), animation: false, backgroundColor: background });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

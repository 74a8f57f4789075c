/**
 * One echarts instance on an element, shared by the chart components: created on mount, resized with its
 * box, disposed on unmount. The instance lives in a shallowRef (it must not be made reactive); new options
 * are applied once per animation frame while data streams in. `dataUrl` renders any pending update first,
 * so an export shows exactly what the data says now; `svg` draws the same option off screen with the SVG
 * renderer at the chart's size. Mounted charts are listed by element, so an export button that is given no
 * SVG callback (ChartExport) finds the chart it sits next to.
 */
import { onBeforeUnmount, onMounted, shallowRef, type Ref } from 'vue';
import { init, type ECharts } from './echarts';
import { optionToSvg } from './svg-export';

type SetOptionOpts = Parameters<ECharts['setOption']>[1];

export interface EChartHandle {
  /** Asks for a redraw on the next frame. */
  schedule(): void;
  /** The chart as a PNG data URL at twice its size on `background`; undefined before it is mounted. */
  dataUrl(background: string): string | undefined;
  /** The chart as an SVG document at its on-screen size on `background`; undefined before it is mounted. */
  svg(background: string): string | undefined;
}

/** The charts on the page, by their element. */
const mounted = new Map<HTMLElement, EChartHandle>();

/**
 * The chart nearest to `from`: the first one inside the closest ancestor of `from` that holds any (an export
 * button's card holds exactly its chart).
 */
export function chartNear(from: Element): EChartHandle | undefined {
  for (let scope = from.parentElement; scope; scope = scope.parentElement) {
    for (const [el, handle] of mounted) if (scope.contains(el)) return handle;
  }
  return undefined;
}

export function useEChart(el: Readonly<Ref<HTMLElement | null>>, option: () => Parameters<ECharts['setOption']>[0], setOptions: SetOptionOpts): EChartHandle {
  const chart = shallowRef<ECharts>();
  let frame = 0;
  let resizeObserver: ResizeObserver | undefined;

  function render() {
    frame = 0;
    chart.value?.setOption(option(), setOptions);
  }

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(render);
  }

  onMounted(() => {
    if (!el.value) return;
    chart.value = init(el.value, undefined, { renderer: 'canvas' });
    render();
    resizeObserver = new ResizeObserver(() => chart.value?.resize());
    resizeObserver.observe(el.value);
    mounted.set(el.value, handle);
  });

  onBeforeUnmount(() => {
    for (const [e, h] of mounted) if (h === handle) mounted.delete(e);
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    resizeObserver?.disconnect();
    chart.value?.dispose();
    chart.value = undefined;
  });

  function dataUrl(background: string): string | undefined {
    if (!chart.value) return undefined;
    if (frame) {
      cancelAnimationFrame(frame);
      render();
    }
    return chart.value.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: background });
  }

  function svg(background: string): string | undefined {
    if (!chart.value) return undefined;
    return optionToSvg(option(), chart.value.getWidth(), chart.value.getHeight(), background);
  }

  const handle: EChartHandle = { schedule, dataUrl, svg };
  return handle;
}

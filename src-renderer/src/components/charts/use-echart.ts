/**
 * One echarts instance on an element, shared by the chart components: created on mount, resized with its
 * box, disposed on unmount. The instance lives in a shallowRef (it must not be made reactive); new options
 * are applied once per animation frame while data streams in. `dataUrl` renders any pending update first,
 * so an export shows exactly what the data says now.
 */
import { onBeforeUnmount, onMounted, shallowRef, type Ref } from 'vue';
import { init, type ECharts } from './echarts';

type SetOptionOpts = Parameters<ECharts['setOption']>[1];

export interface EChartHandle {
  /** Asks for a redraw on the next frame. */
  schedule(): void;
  /** The chart as a PNG data URL at twice its size on `background`; undefined before it is mounted. */
  dataUrl(background: string): string | undefined;
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
  });

  onBeforeUnmount(() => {
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

  return { schedule, dataUrl };
}

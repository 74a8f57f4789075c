/**
 * The run form's state: the fields, their errors (from the contract's RunConfig schema, so the form and
 * the host agree), what data.inspect says about a chosen file, and the shapes of the codes the model
 * will produce. Submitting validates locally, then hands the config to the run store.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { Result, RunConfig } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { describeError } from '../lib/errors';
import { codeGeometry, configToForm, defaultForm, formToConfig, inputShape, validateForm, withLayerCount, type FieldErrors, type LayerGeometry, type RunFormState } from '../lib/run-form';
import { useDatasetsStore } from './datasets';
import { useRunStore } from './run';

export type DataInfo = Result<'data.inspect'>;

export const useRunFormStore = defineStore('runForm', () => {
  const client = useStudioClient();
  const run = useRunStore();
  const datasets = useDatasetsStore();
  // A data set source is checked against (and sized from) the project's list, which this keeps current.
  datasets.init();

  const form = ref<RunFormState>(defaultForm());
  const errors = ref<FieldErrors>({});
  /** After the first Start, errors are re-checked as the user edits. */
  const attempted = ref(false);
  const dataInfo = ref<DataInfo | null>(null);
  const dataError = ref<string | null>(null);
  const inspecting = ref(false);

  const layerCount = computed({
    get: () => form.value.layers.length,
    set: (n: number) => {
      form.value = withLayerCount(form.value, n);
    },
  });

  const fileShape = computed(() => (form.value.source.kind === 'file' && dataInfo.value?.path === form.value.source.path.trim() ? dataInfo.value.shape : undefined));

  /** Γ_1…Γ_K shapes for the current fields, when the input size is known and the fields are numbers. */
  const geometry = computed<{ input: readonly [number, number, number]; layers: LayerGeometry[] } | null>(() => {
    const cfg: RunConfig = formToConfig(form.value);
    const input = inputShape(cfg, fileShape.value, datasets.list);
    if (!input || !input.every((v) => Number.isInteger(v) && v > 0)) return null;
    return { input, layers: codeGeometry(input, cfg.layers).layers };
  });

  function validate() {
    const v = validateForm(form.value, fileShape.value, datasets.list);
    errors.value = v.errors;
    return v;
  }

  watch(
    form,
    () => {
      if (attempted.value) validate();
    },
    { deep: true },
  );

  let inspection = 0;
  /** Asks the host what the chosen data file holds (shape, dtype, range). */
  async function inspect(path: string): Promise<void> {
    const p = path.trim();
    const mine = ++inspection;
    dataError.value = null;
    if (!p) {
      dataInfo.value = null;
      return;
    }
    inspecting.value = true;
    try {
      const info = await client['data.inspect']({ path: p });
      if (mine === inspection) dataInfo.value = info;
    } catch (err) {
      if (mine === inspection) {
        dataInfo.value = null;
        dataError.value = describeError(err).message;
      }
    } finally {
      if (mine === inspection) inspecting.value = false;
    }
  }

  /** Validates and starts the run; false when a field is wrong (shown inline) or the host refused (banner). */
  async function submit(): Promise<boolean> {
    attempted.value = true;
    const v = validate();
    if (!v.ok) return false;
    return run.start(v.config);
  }

  /** Puts a saved run's settings in the form, to run it again or vary it. */
  function load(config: RunConfig) {
    form.value = configToForm(config);
    errors.value = {};
    attempted.value = false;
    if (config.source.kind === 'file') void inspect(config.source.path);
  }

  /** Makes item `index` of a data set the run's input (from the Data view), keeping the model and pursuit. */
  function useDataset(id: string, split: 'train' | 'test' = 'train', index = 0) {
    form.value = { ...form.value, source: { ...form.value.source, kind: 'dataset', datasetId: id, datasetSplit: split, index } };
  }

  function resetForm() {
    form.value = defaultForm();
    errors.value = {};
    attempted.value = false;
    dataInfo.value = null;
    dataError.value = null;
  }

  return { form, errors, layerCount, dataInfo, dataError, inspecting, geometry, inspect, validate, submit, load, useDataset, resetForm };
});

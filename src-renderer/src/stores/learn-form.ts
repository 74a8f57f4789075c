/**
 * The learning form's state: the fields (rendered from the chosen method's spec) and their errors, checked
 * with the contract's LearnConfig schema and the spec's bounds before anything is sent. Submitting hands
 * the validated config to the learn store.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { LearnConfig, LearnMethod } from '../../../src-shared/contract';
import { defaultLearnForm, learnConfigToForm, validateLearnForm, withMethod, type LearnFormState } from '../lib/learn-form';
import type { FieldErrors } from '../lib/run-form';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';
import { useLearnStore } from './learn';

export const useLearnFormStore = defineStore('learnForm', () => {
  const app = useAppStore();
  const learn = useLearnStore();
  const datasets = useDatasetsStore();
  // The 'dataset' choice is checked against the project's list, which this keeps current.
  datasets.init();

  const form = ref<LearnFormState>(defaultLearnForm());
  const errors = ref<FieldErrors>({});
  /** After the first Start, errors are re-checked as the user edits. */
  const attempted = ref(false);

  const spec = computed(() => learn.methods.find((m) => m.method === form.value.method) ?? null);
  /** The data kinds the chosen method learns from. */
  const dataKinds = computed(() => spec.value?.data ?? []);

  function validate() {
    const v = validateLearnForm(form.value, spec.value, datasets.list);
    errors.value = v.errors;
    return v;
  }

  /** Switches method: its parameters at their defaults, its default iterations, a data kind it accepts. */
  function setMethod(method: LearnMethod) {
    const s = learn.methods.find((m) => m.method === method);
    if (s) form.value = withMethod(form.value, s);
  }

  // Once the methods are known, the form starts on the first (or keeps its method if still offered).
  watch(
    () => learn.methods,
    (list) => {
      if (!list.length) return;
      if (!spec.value) form.value = withMethod(form.value, list[0]!);
    },
    { immediate: true },
  );

  watch(
    form,
    () => {
      if (attempted.value) validate();
    },
    { deep: true },
  );

  /** Validates and starts the session; false when a field is wrong (shown inline) or the host refused (banner). */
  async function submit(): Promise<boolean> {
    attempted.value = true;
    const v = validate();
    if (!v.ok) return false;
    return learn.start(v.config);
  }

  /** Puts a saved session's settings in the form, to run it again or vary it. */
  function load(config: LearnConfig): boolean {
    const s = learn.methods.find((m) => m.method === config.method);
    if (!s) {
      app.warn(`The method ${config.method} is not available in this build, so its settings cannot go into the form.`, 'Copying settings');
      return false;
    }
    form.value = learnConfigToForm(config, s);
    errors.value = {};
    attempted.value = false;
    return true;
  }

  /**
   * Learns from a data set of the project ("Train on this data set" in the Data view): the data kind becomes
   * 'dataset' with this id and split; if the chosen method cannot learn from data sets, the first method that
   * can is chosen. False (with a warning) when no method on offer learns from data sets.
   */
  function useDataset(id: string, split: 'train' | 'test' = 'train'): boolean {
    const data = { ...form.value.data, kind: 'dataset' as const, datasetId: id, datasetSplit: split };
    if (spec.value?.data.includes('dataset')) {
      form.value = { ...form.value, data };
      return true;
    }
    const other = learn.methods.find((m) => m.data.includes('dataset'));
    if (!other) {
      // Keep the choice in the form, so it is there once a method that takes data sets is offered.
      form.value = { ...form.value, data: { ...form.value.data, datasetId: id, datasetSplit: split } };
      app.warn('No learning method of this build learns from a data set of the project yet.', 'Training on a data set');
      return false;
    }
    form.value = { ...withMethod(form.value, other), data };
    return true;
  }

  function resetForm() {
    form.value = defaultLearnForm(spec.value ?? learn.methods[0]);
    errors.value = {};
    attempted.value = false;
  }

  return { form, errors, spec, dataKinds, validate, setMethod, submit, load, useDataset, resetForm };
});

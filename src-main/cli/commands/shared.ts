/** Option parsing shared by the commands. */
import { PROVIDER_NAMES, type ProviderName } from '../../engine/runtime/session';
import { CliError } from '../output';

export function parseProviders(value: string): ProviderName[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase());
  for (const p of list) if (!PROVIDER_NAMES.includes(p as ProviderName)) throw new CliError(`--provider: unknown provider "${p}" (expected ${PROVIDER_NAMES.join(', ')})`);
  return list as ProviderName[];
}

/** Expands a per-layer list: one value applies to all layers. */
export function perLayer(values: number[] | undefined, layers: number, fallback: number, what: string): number[] {
  if (!values) return new Array(layers).fill(fallback);
  if (values.length === 1) return new Array(layers).fill(values[0]);
  if (values.length !== layers) throw new CliError(`${what}: ${values.length} values given for ${layers} layer(s)`);
  return values;
}

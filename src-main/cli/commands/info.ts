import type { Command } from 'commander';
import { probeProviders } from '../../engine/runtime/providers';
import { DEFAULT_PROVIDER_ORDER, Runtime, type ProviderName } from '../../engine/runtime/session';
import { APP_VERSION } from '../../engine/version';
import { parseProviders } from './shared';
import { printJson } from '../output';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('version, ONNX Runtime version, and which execution providers run on this machine')
    .option('--provider <list>', 'provider order to resolve "used" against (cuda,webgpu,cpu)')
    .option('--json', 'machine-readable output')
    .action(async (o: { provider?: string; json?: boolean }) => {
      const order: readonly ProviderName[] = o.provider ? parseProviders(o.provider) : DEFAULT_PROVIDER_ORDER;
      const probe = await probeProviders();
      const used = order.find((p) => probe.available.includes(p)) ?? 'none';
      const info = {
        version: APP_VERSION,
        providers: { available: probe.available, used, order, unavailable: probe.unavailable },
        onnxruntime: Runtime.version(),
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
      };
      if (o.json) return printJson(info);
      console.log(`Sparseland Studio ${info.version} (ONNX Runtime ${info.onnxruntime}, Node ${info.node}, ${info.platform})`);
      console.log(`Providers available: ${probe.available.join(', ')}; used by default: ${used}`);
      for (const u of probe.unavailable) console.log(`  ${u.provider}: unavailable (${u.reason})`);
    });
}

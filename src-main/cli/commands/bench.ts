import type { Command } from 'commander';
import { BENCH_PROBLEMS, runBenchmarks, type BenchReport } from '../../engine/bench';
import { CliError, printJson } from '../output';
import { parseProviders } from './shared';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time the standard problems: ms per iteration, GFLOP/s against the MatMul ceiling, time to a given objective gap')
    .option('--provider <list>', 'execution providers to try in order (cuda,webgpu,cpu)')
    .option('--problems <list>', `subset of ${BENCH_PROBLEMS.join(',')}`)
    .option('--threads <n>', 'CPU intra-op threads')
    .option('--quick', 'fewer iterations (smoke run)')
    .option('--json', 'machine-readable output')
    .action(async (o: { provider?: string; problems?: string; threads?: string; quick?: boolean; json?: boolean }) => {
      const problems = o.problems ? o.problems.split(',').map((s) => s.trim()) : [...BENCH_PROBLEMS];
      for (const p of problems) if (!(BENCH_PROBLEMS as readonly string[]).includes(p)) throw new CliError(`--problems: unknown problem "${p}" (expected ${BENCH_PROBLEMS.join(', ')})`);
      const report = await runBenchmarks({
        providers: o.provider ? parseProviders(o.provider) : undefined,
        problems,
        threads: o.threads ? Number(o.threads) : undefined,
        quick: Boolean(o.quick),
        log: o.json ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      if (o.json) return printJson(report);
      printTable(report);
    });
}

function printTable(r: BenchReport): void {
  console.log(`provider ${r.provider}, ${r.threads} thread(s); MatMul ceiling ${r.matmulGflops.toFixed(1)} GFLOP/s`);
  for (const p of r.problems) {
    console.log(`${p.name}: ${p.msPerIteration.toFixed(2)} ms/iteration (${p.gflops.toFixed(1)} GFLOP/s), session build ${p.sessionBuildMs.toFixed(0)} ms`);
    if (p.convPairMs !== undefined) console.log(`  conv pair ${p.convPairMs.toFixed(2)} ms, ${p.convPairGflops!.toFixed(1)} GFLOP/s = ${(p.ratioToCeiling * 100).toFixed(0)}% of MatMul`);
    else console.log(`  ${(p.ratioToCeiling * 100).toFixed(0)}% of MatMul over the whole iteration`);
    if (p.naiveSpeedup) console.log(`  ${p.naiveSpeedup.toFixed(0)}× a naive TypeScript loop`);
    for (const g of p.timeToGap ?? []) console.log(`  gap ${g.gap}: ${g.iterations ?? '—'} iterations, ${g.seconds === null ? '—' : `${g.seconds.toFixed(2)} s`}`);
  }
  for (const t of r.training) console.log(`${t.name}: ${t.imagesPerSecond.toFixed(t.imagesPerSecond < 10 ? 2 : 0)} images/s, ${t.secondsPerStep.toFixed(3)} s per step (${t.steps} steps)`);
}

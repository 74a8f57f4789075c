import path from 'node:path';
import type { Command } from 'commander';
import { unzipSync } from 'fflate';
import { writeFileAtomic } from '../../engine/io/fileio';
import { exportRun } from '../../host/export/run-export';
import { Project } from '../../host/projects';
import { printJson } from '../output';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a run of a project as a Markdown report with figures (atoms, images, metric curves) in a zip')
    .requiredOption('--project <dir>', 'the project folder')
    .requiredOption('--run <id>', 'a run of the project')
    .requiredOption('--out <file.zip>', 'where to write the zip (report.md and figures/)')
    .option('--json', 'machine-readable output')
    .action(async (o: { project: string; run: string; out: string; json?: boolean }) => {
      const project = await Project.open(path.resolve(o.project));
      const file = await exportRun(project, { runId: o.run, format: 'report' });
      await writeFileAtomic(o.out, file.bytes);
      const files = Object.keys(unzipSync(file.bytes));
      if (o.json) return printJson({ run: o.run, out: o.out, bytes: file.bytes.length, files });
      console.log(`report of run ${o.run} written to ${o.out}: ${files.join(', ')}`);
    });
}

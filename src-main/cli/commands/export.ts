import path from 'node:path';
import type { Command } from 'commander';
import { Project } from '../../host/projects';
import { deserializeTrainingState, writeOnnxFile } from '../../engine/learn/unrolled';
import { writeFileAtomic } from '../../engine/io/fileio';
import { exportRun, listRunExports, UNROLLED_PREPROCESSING } from '../../host/export/run-export';
import { EngineSupervisor, nodeEngineChannel } from '../../host/engine-process';
import { CliError, printJson } from '../output';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("export a run of a project: its arrays as one .npz, or as a standalone ONNX model a trained unrolled network or the run's pursuit with its learned dictionaries (weights inside)")
    .requiredOption('--project <dir>', 'the project folder')
    .requiredOption('--run <id>', 'a run of the project (for --onnx: an unrolled-supervised session, a pursuit run, a CDL or ML-CSC session)')
    .option('--onnx <file>', 'where to write the model')
    .option('--npz <file>', 'where to write every array of the run (runs/<id>/*.npy) as one .npz')
    .option('--batch <n>', 'static batch size of the `images` input', '1')
    .option('--json', 'machine-readable output')
    .action(async (o: { project: string; run: string; onnx?: string; npz?: string; batch: string; json?: boolean }) => {
      if (!o.onnx && !o.npz) throw new CliError("say what to export: --onnx <file> (a trained network or the run's pursuit) and/or --npz <file> (the run's arrays)");
      const batchSize = Number(o.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch: "${o.batch}" is not a positive integer`);
      const project = await Project.open(path.resolve(o.project));
      const report: Record<string, unknown> = { run: o.run };
      const lines: string[] = [];
      if (o.npz) {
        const file = await exportRun(project, { runId: o.run, format: 'npz' });
        await writeFileAtomic(o.npz, file.bytes);
        const arrays = (await listRunExports(project, o.run)).arrays;
        Object.assign(report, { npz: o.npz, arrays });
        lines.push(`${arrays.length} arrays of run ${o.run} written to ${o.npz}: ${arrays.map((a) => a.name).join(', ')}`);
      }
      const checkpoint = o.onnx ? await project.readCheckpoint(o.run) : undefined;
      const bytes = checkpoint?.saved.tensors.training_state;
      if (o.onnx && (!bytes || bytes.dtype !== 'uint8')) {
        // No trained network: the run's pursuit with its dictionaries, built in an engine process of its own.
        const engine = new EngineSupervisor(nodeEngineChannel, () => {});
        try {
          const file = await exportRun(project, { runId: o.run, format: 'onnx' }, engine);
          await writeFileAtomic(o.onnx, file.bytes);
        } finally {
          await engine.dispose();
        }
        Object.assign(report, { onnx: o.onnx, kind: 'pursuit', inputs: ['signal'], outputs: 'gamma1…gammaK, reconstruction' });
        lines.push(`the pursuit of run ${o.run} with its dictionaries written to ${o.onnx}: input signal, outputs gamma1…gammaK and reconstruction`);
      } else if (o.onnx && bytes) {
        const state = deserializeTrainingState(bytes.data as Uint8Array);
        await writeOnnxFile(o.onnx, state.model, state.params, { batchSize, preprocessing: UNROLLED_PREPROCESSING });
        const images = [batchSize, state.model.input.channels, state.model.input.height, state.model.input.width];
        Object.assign(report, { model: state.model.name, step: state.step, onnx: o.onnx, inputs: { images }, outputs: ['logits', 'gamma_K'] });
        lines.push(`${state.model.name} (step ${state.step}) written to ${o.onnx}: input images [${images.join(', ')}], outputs logits and gamma_K`);
      }
      if (o.json) return printJson(report);
      for (const line of lines) console.log(line);
    });
}

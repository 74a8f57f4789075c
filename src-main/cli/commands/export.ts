import path from 'node:path';
import type { Command } from 'commander';
import { Project } from '../../host/projects';
import { deserializeTrainingState, writeOnnxFile } from '../../engine/learn/unrolled';
import { CliError, printJson } from '../output';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a trained unrolled network of a project as a standalone ONNX model (weights inside)')
    .requiredOption('--project <dir>', 'the project folder')
    .requiredOption('--run <id>', 'an unrolled-supervised session of the project')
    .requiredOption('--onnx <file>', 'where to write the model')
    .option('--batch <n>', 'static batch size of the `images` input', '1')
    .option('--json', 'machine-readable output')
    .action(async (o: { project: string; run: string; onnx: string; batch: string; json?: boolean }) => {
      const project = await Project.open(path.resolve(o.project));
      const checkpoint = await project.readCheckpoint(o.run);
      const bytes = checkpoint?.saved.tensors.training_state;
      if (!bytes || bytes.dtype !== 'uint8') throw new CliError(`run ${o.run} has no trained network to export (only unrolled-supervised sessions do, once they have a checkpoint)`);
      const state = deserializeTrainingState(bytes.data as Uint8Array);
      const batchSize = Number(o.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch: "${o.batch}" is not a positive integer`);
      await writeOnnxFile(o.onnx, state.model, state.params, { batchSize, preprocessing: 'x/255, then (x − 0.1307)/0.3081' });
      const report = { run: o.run, model: state.model.name, step: state.step, onnx: o.onnx, inputs: { images: [batchSize, state.model.input.channels, state.model.input.height, state.model.input.width] }, outputs: ['logits', 'gamma_K'] };
      if (o.json) return printJson(report);
      console.log(`${state.model.name} (step ${state.step}) written to ${o.onnx}: input images [${report.inputs.images.join(', ')}], outputs logits and gamma_K`);
    });
}

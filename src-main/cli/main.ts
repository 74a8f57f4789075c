/** `sparseland`: the command-line front door. Each command lives in commands/. */
import { Command, CommanderError } from 'commander';
import { APP_VERSION } from '../engine/version';
import { registerBench } from './commands/bench';
import { registerDenoise } from './commands/denoise';
import { registerExport } from './commands/export';
import { registerInfo } from './commands/info';
import { registerPursue } from './commands/pursue';
import { registerReport } from './commands/report';
import { registerTrain } from './commands/train';
import { registerServe } from './commands/serve';
import { registerTheory } from './commands/theory';
import { CliError, reportError } from './output';

export function buildProgram(): Command {
  const program = new Command('sparseland')
    .description('Sparseland Studio: sparse coding, CSC and ML-CSC on ONNX Runtime')
    .version(APP_VERSION)
    .exitOverride()
    .showHelpAfterError();
  registerInfo(program);
  registerPursue(program);
  registerTrain(program);
  registerDenoise(program);
  registerExport(program);
  registerReport(program);
  registerTheory(program);
  registerBench(program);
  registerServe(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportError(err, argv.includes('--json'));
  }
}

export { CliError };

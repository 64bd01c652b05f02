import { Command, CommanderError } from 'commander';
import { addAuditCommands } from './audit-commands';
import { addCycleCommands } from './cycle-commands';
import { addDemoCommand } from './demo-command';
import { addOfficeCommands } from './office-commands';
import { addPlanCommands } from './plan-commands';
import { addServiceCommands } from './service-commands';
import { addStoreCommands } from './store-commands';
import { addSubmitCommand } from './submit-command';
import { UserError } from '../store/master-files';

/** Builds the `torimatome` command line; each area of the product adds its own commands. */
export function buildCli(): Command {
  const program = new Command('torimatome')
    .description('torimatome: yearly status collection for an administrative-reform plan')
    .exitOverride()
    .showHelpAfterError();
  addPlanCommands(program);
  addCycleCommands(program);
  addSubmitCommand(program);
  addServiceCommands(program);
  addDemoCommand(program);
  addOfficeCommands(program);
  addAuditCommands(program);
  addStoreCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UserError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

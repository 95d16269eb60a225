/** CLI flags for every configuration variable (src/config/variables.ts), shared by serve and stdio. */
import type { Command } from 'commander';
import { CONFIG_VARIABLES } from '../config/variables.js';

export function addConfigOptions(command: Command): Command {
  for (const v of CONFIG_VARIABLES) {
    const def = 'defaultValue' in v ? `; default ${v.defaultValue}` : '';
    command.option(`${v.flag} ${v.value}`, `${v.description} [env ${v.env}${def}]`);
  }
  return command.option('--sandbox', 'run against a fresh embedded sandbox management cluster instead of a kubeconfig');
}

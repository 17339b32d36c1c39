import type { Command } from '../command';
import { backfillCommand } from './backfill';
import { checksCommand } from './checks';
import { demoCommand } from './demo';
import { generateCommand } from './generate';
import { rerunCommand } from './rerun';
import { rolloutCommand } from './rollout';
import { runsCommand } from './runs';
import { statusCommand } from './status';
import { tenantsCommand } from './tenants';

/** Every `daybreak` subcommand, in the order `daybreak help` lists them. */
export const COMMANDS: Command[] = [
  demoCommand,
  generateCommand,
  tenantsCommand,
  rerunCommand,
  backfillCommand,
  statusCommand,
  runsCommand,
  checksCommand,
  rolloutCommand,
];

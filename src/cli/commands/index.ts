import type { Command } from '../command';
import { generateCommand } from './generate';
import { skeletonCommand } from './skeleton';

/** Every `daybreak` subcommand, in the order `daybreak help` lists them. */
export const COMMANDS: Command[] = [skeletonCommand, generateCommand];

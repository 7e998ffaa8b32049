// Commands beyond the stages: the local sandbox hub, manifests and the demo.
import type { Command } from './main.js';

export const EXTRA_COMMANDS: Record<string, Command> = {};

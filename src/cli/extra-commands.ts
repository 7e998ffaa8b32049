// Commands beyond the stages: the local sandbox hub, manifests and the demo.
import type { Command } from './main.js';
import { DEMO_HELP, runDemoCommand } from '../demo/demo-command.js';
import { SANDBOX_HELP, runSandboxCommand } from './sandbox-command.js';

export const EXTRA_COMMANDS: Record<string, Command> = {
  sandbox: {
    summary: 'run a local IoT Hub with a simulated IoT Edge fleet (prints its connection string)',
    run: (argv, io) => runSandboxCommand(argv, io),
    help: () => SANDBOX_HELP,
  },
  demo: {
    summary: 'the main job on the local sandbox: no Azure, no Docker',
    run: (argv, io) => runDemoCommand(argv, io),
    help: () => DEMO_HELP,
  },
};

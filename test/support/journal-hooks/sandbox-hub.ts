// src/sandbox/index.ts recording each hub's shared access key as a test secret, and journaling its
// request log when it stops.
import * as real from '../../../src/sandbox/index.js';
import { journalFile, recordTestSecret } from '../journal.js';

export * from '../../../src/sandbox/index.js';

export async function startSandboxHub(options: real.SandboxHubOptions = {}): Promise<real.SandboxHub> {
  const hub = await real.startSandboxHub(options);
  recordTestSecret(/SharedAccessKey=([^;]+)/.exec(hub.connectionString)?.[1]);
  recordTestSecret(hub.connectionString);
  if (options.requestLog) {
    const stop = hub.stop.bind(hub);
    hub.stop = async () => {
      await stop();
      journalFile(options.requestLog, 'sandbox hub request log');
    };
  }
  return hub;
}

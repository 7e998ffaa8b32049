// src/sandbox/acr/index.ts recording each sandbox's client secret as a test secret.
import * as real from '../../../src/sandbox/acr/index.js';
import { recordTestSecret } from '../journal.js';

export * from '../../../src/sandbox/acr/index.js';

export async function startSandboxAcr(options: real.SandboxAcrOptions = {}): Promise<real.SandboxAcr> {
  const acr = await real.startSandboxAcr(options);
  recordTestSecret(acr.clientSecret);
  return acr;
}

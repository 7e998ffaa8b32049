// src/sandbox/aml/index.ts recording each sandbox's client secret, storage key and the GitHub OIDC
// tokens it mints as test secrets.
import * as real from '../../../src/sandbox/aml/index.js';
import { recordTestSecret } from '../journal.js';

export * from '../../../src/sandbox/aml/index.js';

export async function startSandboxAml(options: real.SandboxAmlOptions = {}): Promise<real.SandboxAml> {
  const aml = await real.startSandboxAml(options);
  recordTestSecret(aml.clientSecret);
  recordTestSecret(aml.azurite.accountKey);
  const githubIdToken = aml.githubIdToken.bind(aml);
  aml.githubIdToken = (overrides) => {
    const token = githubIdToken(overrides);
    recordTestSecret(token);
    return token;
  };
  return aml;
}

// Shared pieces of the model registration integration tests: a sandbox Azure ML workspace (with its
// Azurite) signed by the test CA, the real @azure/identity credentials pointed at it, registration
// options and collaborators, and throwaway model files.
import { ClientAssertionCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { memoryLogger } from '../../../src/logger.js';
import type { RegisterModelDeps, RegisterModelOptions } from '../../../src/model/register-model.js';
import { startSandboxAml, type SandboxAml, type SandboxAmlOptions } from '../../../src/sandbox/aml/index.js';
import { testCertificateAuthority } from '../../support/sandbox.js';

export function startTestAml(options: SandboxAmlOptions = {}): Promise<SandboxAml> {
  return startSandboxAml({ ca: testCertificateAuthority(), ...options });
}

/** The real ClientSecretCredential, signing in at the sandbox's authority. */
export function secretCredential(sandbox: SandboxAml): TokenCredential {
  return new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, sandbox.clientSecret, {
    authorityHost: sandbox.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/** The real ClientAssertionCredential fed with GitHub-like OIDC tokens. */
export function assertionCredential(sandbox: SandboxAml, subject?: string): TokenCredential {
  return new ClientAssertionCredential(
    sandbox.tenantId,
    sandbox.clientId,
    async () => sandbox.githubIdToken(subject ? { subject } : {}),
    { authorityHost: sandbox.authorityHost, disableInstanceDiscovery: true },
  );
}

export function optionsFor(sandbox: SandboxAml, modelPath: string, modelName: string): RegisterModelOptions {
  return {
    modelPath,
    modelName,
    subscriptionId: sandbox.subscriptionId,
    resourceGroup: sandbox.resourceGroup,
    workspace: sandbox.workspace,
    armEndpoint: sandbox.armEndpoint,
    commit: '0123456789abcdef0123456789abcdef01234567',
    release: '1.4.0',
    tags: { team: 'vision' },
  };
}

export type TestDeps = RegisterModelDeps & { logger: ReturnType<typeof memoryLogger>; masked: string[] };

/** Collaborators with a memory logger, a recorded mask, and short ARM back-off (Retry-After still wins). */
export function depsFor(credential: TokenCredential): TestDeps {
  const masked: string[] = [];
  return {
    credential,
    logger: memoryLogger(),
    mask: (secret) => void masked.push(secret),
    masked,
    armRetry: { retryDelayInMs: 20, maxRetryDelayInMs: 100 },
    upload: { progressIntervalMs: 0 },
  };
}

/** A temporary folder for model files, removed by `cleanup`. */
export function modelWorkspace(): {
  root: string;
  write(files: Record<string, string | Buffer>, under?: string): string;
  cleanup(): void;
} {
  const root = mkdtempSync(join(tmpdir(), 'model-it-'));
  return {
    root,
    write(files, under = '') {
      for (const [relative, content] of Object.entries(files)) {
        const path = join(root, under, relative);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      }
      return join(root, under);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Names of every blob in the default datastore's container. */
export async function blobNames(sandbox: SandboxAml, datastore?: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of sandbox.containerClient(datastore).listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

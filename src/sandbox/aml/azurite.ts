// Azurite, the real Azure Storage emulator (a dev dependency), as the sandbox's blob storage: spawned
// from node_modules on a free loopback port, ready once it says where it listens, killed on stop.
// `--skipApiVersionCheck` because @azure/storage-blob sends a newer service version than Azurite
// knows; `--disableTelemetry` because it would call out otherwise (reference §15.3). With a
// certificate it serves HTTPS, and with `oauth` it also accepts Entra bearer tokens (HTTPS only),
// checking their issuer, audience and lifetime but not their signature.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import type { PemPair } from '../tls.js';

/** Azurite's built-in account and its well-known key, published in Azurite's README. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Serve HTTPS with this certificate (and key). */
  tls?: PemPair;
  /** Accept Entra bearer tokens (needs `tls`). */
  oauth?: boolean;
  /** Keep blobs in this folder; default in memory. */
  location?: string;
  /** Milliseconds to wait for Azurite to listen (default 30 s). */
  startTimeoutMs?: number;
}

export interface Azurite {
  /** e.g. https://127.0.0.1:41234 */
  blobEndpoint: string;
  /** The account's blob service URL, path-style: `<blobEndpoint>/devstoreaccount1`. */
  accountUrl: string;
  /** `host:port`, the form a datastore's `endpoint` takes for an emulator. */
  hostPort: string;
  protocol: 'http' | 'https';
  accountName: string;
  accountKey: string;
  pid: number;
  sharedKeyCredential(): StorageSharedKeyCredential;
  stop(): Promise<void>;
}

function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
}

function waitUntilListening(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listens on (\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        cleanup();
        resolve(url.replace(/\/+$/, ''));
      }
    };
    const onExit = (code: number | null) =>
      fail(new Error(`Azurite exited with code ${code} before listening:\n${output}`));
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', fail);
    };
    function fail(error: Error) {
      clearTimeout(timer);
      cleanup();
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  if (options.oauth && !options.tls)
    throw new Error('Azurite accepts OAuth tokens over HTTPS only: give tls too');
  const scratch = mkdtempSync(join(tmpdir(), 'sandbox-azurite-'));
  const args = [
    azuriteBlobMain(),
    '--blobHost',
    options.host ?? '127.0.0.1',
    '--blobPort',
    String(options.port ?? 0),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
  ];
  if (options.tls) {
    writeFileSync(join(scratch, 'cert.pem'), options.tls.cert);
    writeFileSync(join(scratch, 'key.pem'), options.tls.key, { mode: 0o600 });
    args.push('--cert', join(scratch, 'cert.pem'), '--key', join(scratch, 'key.pem'));
    if (options.oauth) args.push('--oauth', 'basic');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: scratch });
  // If this process ends without stop(), take Azurite with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanup = () => {
    process.off('exit', killOnExit);
    rmSync(scratch, { recursive: true, force: true });
  };
  let blobEndpoint: string;
  try {
    blobEndpoint = await waitUntilListening(child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stopChild(child);
    cleanup();
    throw error;
  }
  // Keep draining its output so that a chatty Azurite never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const url = new URL(blobEndpoint);
  let stopped: Promise<void> | undefined;
  return {
    blobEndpoint,
    accountUrl: `${blobEndpoint}/${AZURITE_ACCOUNT}`,
    hostPort: url.host,
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_ACCOUNT_KEY,
    pid: child.pid ?? 0,
    sharedKeyCredential: () => new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY),
    stop() {
      stopped ??= stopChild(child).then(cleanup);
      return stopped;
    },
  };
}

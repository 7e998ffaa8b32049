// Clients trust a sandbox hub the way users are told to: through NODE_EXTRA_CA_CERTS. Node reads that
// variable only at start-up, so a command that starts its own sandbox and then talks to it with an
// unchanged SDK keeps one CA on disk and, if this process does not trust it yet, runs itself again
// with the variable set.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, type PemPair } from './tls.js';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export interface CaOnDisk extends PemPair {
  file: string;
  keyFile: string;
}

/** A CA kept in `dir` (default: a folder in the temp directory), made anew when missing or a week old. */
export async function persistentCa(
  dir = join(tmpdir(), 'ml-to-iot-edge-sandbox-ca'),
  name?: string,
): Promise<CaOnDisk> {
  const file = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  if (!existsSync(file) || !existsSync(keyFile) || Date.now() - statSync(file).mtimeMs > WEEK_MS) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = await createCertificateAuthority(name);
    writeFileSync(keyFile, ca.key, { mode: 0o600 });
    writeFileSync(file, ca.cert);
  }
  return { file, keyFile, cert: readFileSync(file, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/**
 * Returns true when this process already trusts `caFile`. Otherwise runs the same command again in a
 * child process that does, waits for it and returns its exit code.
 */
export async function trustedOrRerun(caFile: string): Promise<true | number> {
  if (process.env.NODE_EXTRA_CA_CERTS === caFile) return true;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

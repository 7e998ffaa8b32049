// What the benchmarks on the e2e engine and registry share (bench/image.ts, bench/fastpath.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIndex, type RegistryClient } from '../../src/image/registry-client.js';
import {
  engineEnvironment,
  readSettings,
  startInfra,
  stopInfra,
  type E2eSettings,
} from '../../scripts/e2e/infra-control.js';

/**
 * The e2e settings, in the process that benchmarks. Called first by the script: the parent starts
 * the infrastructure (scripts/e2e/infra.sh) unless it runs, re-runs the script with the engine and
 * the registry's CA in its environment (Node reads NODE_EXTRA_CA_CERTS only at start-up), then
 * stops what it started and exits with the child's status. It never returns in the parent.
 */
export function benchSettings(): E2eSettings {
  if (!process.env.E2E_ENV) {
    const { settings, startedHere } = startInfra();
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, ...engineEnvironment(settings) },
    });
    stopInfra(startedHere);
    process.exit(child.status ?? 1);
  }
  return readSettings();
}

/** Blob and manifest sizes of everything an image or index references, from the registry. */
export async function imageSizes(
  client: RegistryClient,
  repository: string,
  digest: string,
): Promise<{ blobs: Map<string, number>; manifests: number }> {
  const blobs = new Map<string, number>();
  const index = await client.getManifest(repository, digest);
  let manifests = index.size;
  const images = isIndex(index) ? (index.json.manifests ?? []) : [{ digest, size: index.size }];
  for (const entry of images) {
    const manifest = entry.digest === digest ? index : await client.getManifest(repository, entry.digest);
    if (entry.digest !== digest) manifests += manifest.size;
    for (const descriptor of [manifest.json.config, ...(manifest.json.layers ?? [])])
      if (descriptor) blobs.set(descriptor.digest, descriptor.size);
  }
  return { blobs, manifests };
}

/**
 * The blobs the registry logged as uploaded into `repository` (closing PUT answered 201) and as
 * mounted into it from another repository, after byte `offset` of its access log. The log is
 * written as requests complete: it is read after a short pause.
 */
export async function registryActivity(
  settings: E2eSettings,
  repository: string,
  offset: number,
): Promise<{ uploaded: Set<string>; mounted: Set<string> }> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const log = readFileSync(settings.registryLog, 'utf8').slice(offset);
  const uploaded = new Set<string>();
  const mounted = new Set<string>();
  const put =
    /"PUT \/v2\/([^ ]+)\/blobs\/uploads\/[^ ?]+\?[^ ]*digest=(sha256(?:%3A|:)[0-9a-f]{64})[^ ]* HTTP\/[0-9.]+" 201/g;
  const mount = /"POST \/v2\/([^ ]+)\/blobs\/uploads\/\?mount=(sha256:[0-9a-f]{64})[^ ]* HTTP\/[0-9.]+" 201/g;
  for (const match of log.matchAll(put))
    if (match[1] === repository) uploaded.add(decodeURIComponent(match[2]!));
  for (const match of log.matchAll(mount)) if (match[1] === repository) mounted.add(match[2]!);
  return { uploaded, mounted };
}

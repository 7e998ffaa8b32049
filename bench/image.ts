// `npm run bench:image`: the build-image stage on the example model project with the e2e engine and
// registry (scripts/e2e/infra.sh; started here when it is not running, and stopped again):
//   - cold: no build cache and no local images, a repository the registry has never seen;
//   - warm: the same project again with only the model file changed.
// For each: wall time of the stage (check, log in, build three platforms, push, read back), and the
// bytes pushed, measured from the registry: the blob uploads its access log shows for the
// repository, sized from the pushed manifests, plus the manifests themselves. Blobs the registry
// mounted from another repository (the base image's layers) cross no wire and are counted apart.
// Prints figures; asserts nothing.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInputs } from '../src/action/parse-inputs.js';
import type { BuildImageResult } from '../src/image/build-image.js';
import { createRegistryClient, type RegistryClient } from '../src/image/registry-client.js';
import { machineSystem } from '../src/image/system.js';
import { consoleLogger } from '../src/logger.js';
import { buildImageFromInputs } from '../src/stages/build-image.js';
import { REPO } from '../scripts/e2e/infra-control.js';
import { benchSettings, imageSizes, registryActivity } from './support/e2e.js';

// Started here when the infrastructure is not running (see bench/support/e2e.ts).
const settings = benchSettings();

function sh(args: string[]): string {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

const repository = `bench/model-${Date.now().toString(36)}`;
const project = mkdtempSync(join(tmpdir(), 'bench-model-project-'));
cpSync(join(REPO, 'test', 'fixtures', 'model-project'), project, { recursive: true });
const client: RegistryClient = createRegistryClient({
  registry: settings.registry,
  credentials: { username: settings.registryUser, password: settings.registryPassword },
});

interface Figures {
  seconds: number;
  pushedBytes: number;
  uploadedBlobs: number;
  mountedBlobs: number;
  manifestBytes: number;
  imageBytes: number;
}

async function measure(tag: string): Promise<{ result: BuildImageResult; figures: Figures }> {
  const offset = statSync(settings.registryLog).size;
  const raw: Record<string, string> = {
    registry: settings.registry,
    image: repository,
    context: project,
    tags: tag,
    'build-args': `BASE_IMAGE=${settings.baseImage}`,
    'registry-username': settings.registryUser,
    'registry-password': settings.registryPassword,
  };
  const quiet = consoleLogger(() => undefined);
  const started = process.hrtime.bigint();
  const result = await buildImageFromInputs(
    parseInputs('build-image', (name) => raw[name]),
    { logger: quiet, run: {}, mask: () => undefined, workDir: mkdtempSync(join(tmpdir(), 'bench-work-')) },
    machineSystem({ ...process.env }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { blobs, manifests } = await imageSizes(client, repository, result.digest);
  const { uploaded, mounted } = await registryActivity(settings, repository, offset);
  let pushedBytes = manifests;
  for (const digest of uploaded) pushedBytes += blobs.get(digest) ?? 0;
  const imageBytes = [...blobs.values()].reduce((a, b) => a + b, 0) + manifests;
  return {
    result,
    figures: {
      seconds,
      pushedBytes,
      uploadedBlobs: uploaded.size,
      mountedBlobs: mounted.size,
      manifestBytes: manifests,
      imageBytes,
    },
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

{
  // Cold: no build cache, no local images (the base image is pulled again from the registry).
  sh(['docker', 'buildx', 'prune', '--all', '--force']);
  sh(['docker', 'image', 'prune', '--all', '--force']);
  const cold = await measure('cold');

  const modelFile = join(project, 'model', 'model.json');
  writeFileSync(
    modelFile,
    JSON.stringify({ name: 'vibration-threshold', version: '2', threshold: 0.62 }) + '\n',
  );
  const warm = await measure('warm');

  const rows: Array<[string, Figures]> = [
    ['cold build + push', cold.figures],
    ['warm rebuild, model file changed', warm.figures],
  ];
  console.log(
    `\nbuild-image on test/fixtures/model-project, linux/amd64 + linux/arm64 + linux/arm/v7 (QEMU), registry ${settings.registry}`,
  );
  console.log(
    '| case | wall time | bytes pushed | blobs uploaded | blobs mounted (not sent) | image total |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [name, f] of rows)
    console.log(
      `| ${name} | ${f.seconds.toFixed(1)} s | ${kb(f.pushedBytes)} (${f.pushedBytes} B, of which manifests ${f.manifestBytes} B) | ${f.uploadedBlobs} | ${f.mountedBlobs} | ${kb(f.imageBytes)} |`,
    );
  console.log(`\ncold ${cold.result.digest}\nwarm ${warm.result.digest}`);
}

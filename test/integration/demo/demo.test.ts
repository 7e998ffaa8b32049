// `npm run demo` in-process: the whole pipeline on the sandboxes, no Azure and no Docker. The model
// is registered in the sandbox Azure ML workspace, appended to the seeded env-demo image in an OCI
// layout, and rolled out to 300 devices of three architectures; `--fail canary` rolls back by itself.
// What the demo claims is checked where it lives: the layout's files and the hub's deployment.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemoCommand } from '../../../src/demo/demo-command.js';
import { journalText } from '../../support/journal.js';
import { testCertificateAuthority } from '../../support/sandbox.js';

const outDirs: string[] = [];
afterAll(() => outDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface DemoRun {
  code: number;
  out: string[];
  err: string[];
  outputs: Record<string, string>;
  summary: string;
  dir: string;
}

async function demo(...argv: string[]): Promise<DemoRun> {
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  outDirs.push(dir);
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    log: (line: string) => (journalText('demo stdout', line), out.push(line)),
    error: (line: string) => (journalText('demo stderr', line), err.push(line)),
  };
  const code = await runDemoCommand([...argv, '--out', dir], io, { ca: testCertificateAuthority() });
  const outputsLine = out.find((line) => line.startsWith('outputs: '));
  const outputs = outputsLine
    ? (JSON.parse(outputsLine.slice('outputs: '.length)) as Record<string, string>)
    : {};
  const start = out.indexOf('== The job summary');
  return { code, out, err, outputs, summary: out[start + 1] ?? '', dir };
}

interface Descriptor {
  digest: string;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

/** Reads the OCI layout's files directly: a tag's index, and each platform's layers. */
function layout(dir: string) {
  const blob = <T>(digest: string) =>
    JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8')) as T;
  const tags = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const tagged = (tag: string) => {
    const entry = tags.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (!entry) throw new Error(`no tag ${tag} in ${dir}`);
    const index = blob<{ manifests: Descriptor[] }>(entry.digest);
    const platforms = index.manifests.map(({ platform }) =>
      [platform!.os, platform!.architecture, platform!.variant].filter(Boolean).join('/'),
    );
    const layers = index.manifests.map((m) =>
      blob<{ layers: Descriptor[] }>(m.digest).layers.map((l) => l.digest),
    );
    return { digest: entry.digest, platforms, layers };
  };
  return { tagged };
}

function moduleImages(deploymentFile: string): string[] {
  const deployment = JSON.parse(readFileSync(deploymentFile, 'utf8')) as {
    content: {
      modulesContent: {
        $edgeAgent: { 'properties.desired': { modules: Record<string, { settings: { image: string } }> } };
      };
    };
  };
  return Object.values(deployment.content.modulesContent.$edgeAgent['properties.desired'].modules).map(
    (module) => module.settings.image,
  );
}

describe('npm run demo', () => {
  test('registers, builds into the OCI layout and rolls release 1.1.0 out to 300 devices in three rings', async () => {
    const run = await demo();
    expect(run.code).toBe(0);

    // Registration: the second model version of the sandbox workspace (1.0.0 registered the first).
    expect(run.outputs).toMatchObject({
      'model-name': 'vision',
      'model-version': '2',
      'build-strategy': 'model-layer',
    });
    expect(run.outputs['model-uri']).toMatch(/^azureml:\/\//);

    // Image: tagged 1.1.0 in the layout, three platforms, env-demo's layers plus the model's, on top.
    const oci = layout(join(run.dir, 'oci'));
    const env = oci.tagged('env-demo');
    const release = oci.tagged('1.1.0');
    expect(release.digest).toBe(run.outputs.digest);
    expect(release.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    expect(env.platforms).toEqual(release.platforms);
    release.layers.forEach((layers, i) => {
      expect(layers).toHaveLength(env.layers[i]!.length + 1);
      expect(layers.slice(0, -1)).toEqual(env.layers[i]);
    });
    expect(oci.tagged('1.0.0').digest).not.toBe(release.digest);

    // Rollout: the deployment on the hub pins that index by digest; every ring passed.
    const pinned = `sandbox.local/vision@${release.digest}`;
    expect(run.outputs['image-ref']).toBe(pinned);
    expect(moduleImages(join(run.dir, 'deployment-1.1.0.json'))).toContain(pinned);
    expect(run.outputs).toMatchObject({ 'deployment-id': 'vision-1_1_0', state: 'completed', ring: 'fleet' });
    expect(JSON.parse(run.outputs['rings-report']!)).toEqual([
      expect.objectContaining({ name: 'canary', targeted: 30, succeeded: 30, verdict: 'pass' }),
      expect.objectContaining({ name: 'pilot', targeted: 120, succeeded: 120, verdict: 'pass' }),
      expect.objectContaining({ name: 'fleet', targeted: 300, succeeded: 300, verdict: 'pass' }),
    ]);

    // The job summary tells all three stages; the devices' own reports agree.
    expect(run.summary).toContain('### Model registered in Azure ML');
    expect(run.summary).toContain('### Inference image');
    expect(run.summary).toContain('completed at ring 3 (fleet)');
    expect(run.err.join('\n')).toContain('x86_64 100, aarch64 100, armv7l 100');
    expect(run.err).toContain(`  release 1.1.0 (${pinned}): 300 running`);
  });

  test('--fail canary: the canary gate fails, the release rolls back by itself and the demo exits with 1', async () => {
    const run = await demo('--fail', 'canary');
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({
      'deployment-id': 'vision-1_1_0',
      state: 'rolled-back',
      ring: 'canary',
    });
    expect(JSON.parse(run.outputs['rings-report']!)[0]).toMatchObject({
      name: 'canary',
      failed: 30,
      verdict: 'fail',
    });
    expect(run.summary).toContain('#### Rollback');
    expect(run.summary).toContain('verified ✅');

    const fallback = `sandbox.local/vision@${layout(join(run.dir, 'oci')).tagged('1.0.0').digest}`;
    expect(run.err).toContain(`  release 1.0.0 (${fallback}): 300 running`);
    expect(run.err).toContain(
      '  canary: 30 of 30 devices run release 1.0.0 again: rollback verified on the devices',
    );
  });

  test('refuses --fail with a ring the fleet does not have, before starting anything', async () => {
    await expect(
      runDemoCommand(['--fail', 'edge', '--rings', 'canary=2,fleet=4'], { log: () => {}, error: () => {} }),
    ).rejects.toThrow("--fail takes a ring of the fleet (canary, fleet), got 'edge'");
  });
});

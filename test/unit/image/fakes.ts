// Fakes of the machine (docker) and of a registry for the image stage's unit tests.
import { writeFileSync } from 'node:fs';
import type { ExecResult, ImageSystem } from '../../../src/image/system.js';
import { RegistryError, type Manifest, type RegistryClient } from '../../../src/image/registry-client.js';
import { sha256Digest } from '../../../src/image/oci/digest.js';

export interface FakeCall {
  command: string;
  args: string[];
  input?: string;
}

export type Responder = (args: string[], input?: string) => ExecResult;

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
export const fail = (stderr: string, exitCode = 1): ExecResult => ({ exitCode, stdout: '', stderr });

export const INSPECT_DOCKER = `Name:          default
Driver:        docker
Last Activity: 2026-01-01 00:00:00 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.13.2
Platforms:        linux/amd64, linux/amd64/v2, linux/arm64, linux/riscv64
`;

/** The docker driver of an engine with QEMU for every IoT Edge platform. */
export const INSPECT_DOCKER_ALL = INSPECT_DOCKER.replace(
  'linux/arm64,',
  'linux/arm64, linux/arm/v7, linux/arm/v6,',
);

export const INSPECT_CONTAINER = `Name:          builder-1
Driver:        docker-container
Last Activity: 2026-01-01 00:00:00 +0000 UTC

Nodes:
Name:             builder-10
Endpoint:         unix:///var/run/docker.sock
Status:           running
BuildKit version: v0.23.0
Platforms:        linux/amd64, linux/amd64/v2, linux/arm64, linux/arm/v7, linux/arm/v6
`;

export const CONTAINERD_STORE = '[["driver-type","io.containerd.snapshotter.v1"]]';
export const CLASSIC_STORE = '[["Backing Filesystem","extfs"],["Supports d_type","true"]]';
export const DIGEST = `sha256:${'d'.repeat(64)}`;

export interface FakeSystemOptions {
  version?: Responder;
  inspect?: Responder;
  info?: Responder;
  login?: Responder;
  logout?: Responder;
  build?: Responder;
  imagetools?: Responder;
  /** binfmt_misc handler texts by name. */
  binfmt?: Record<string, string>;
  digest?: string;
  dockerConfigDir?: string;
}

/** docker as a table of answers; `buildx build` writes the metadata file like buildx does. */
export function fakeSystem(options: FakeSystemOptions = {}): ImageSystem & { calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const digest = options.digest ?? DIGEST;
  const build: Responder = (args) => {
    const file = args[args.indexOf('--metadata-file') + 1]!;
    writeFileSync(file, JSON.stringify({ 'containerimage.digest': digest }));
    return ok();
  };
  return {
    calls,
    dockerConfigDir: options.dockerConfigDir ?? '/nonexistent-docker-config',
    async readBinfmtHandler(name) {
      return options.binfmt?.[name];
    },
    async exec(command, args, execOptions = {}) {
      calls.push({ command, args: [...args], input: execOptions.input });
      const list = [...args];
      const pick = (): Responder => {
        if (list[0] === 'buildx' && list[1] === 'version')
          return options.version ?? (() => ok('github.com/docker/buildx v0.13.1 abc'));
        if (list[0] === 'buildx' && list[1] === 'inspect')
          return options.inspect ?? (() => ok(INSPECT_DOCKER_ALL));
        if (list[0] === 'buildx' && list[1] === 'build') return options.build ?? build;
        if (list[0] === 'buildx' && list[1] === 'imagetools') return options.imagetools ?? (() => ok());
        if (list.includes('info')) return options.info ?? (() => ok(CONTAINERD_STORE));
        if (list[0] === 'login') return options.login ?? (() => ok('Login Succeeded'));
        if (list[0] === 'logout') return options.logout ?? (() => ok());
        return () => fail(`unexpected command: ${command} ${list.join(' ')}`);
      };
      return pick()(list, execOptions.input);
    },
  };
}

/** Whether a build or join ran. */
export function built(calls: FakeCall[]): boolean {
  return calls.some((c) => c.args[0] === 'buildx' && (c.args[1] === 'build' || c.args[1] === 'imagetools'));
}

export interface FakeRegistryOptions {
  platforms?: string[];
  /** checkPushAccess throws this. */
  pushRefused?: RegistryError;
  /** checkLogin throws this. */
  loginRefused?: RegistryError;
  digest?: string;
  /** Tags that resolve to another digest. */
  staleTags?: string[];
}

/** A registry holding one index with `platforms` under `digest`. */
export function fakeRegistry(options: FakeRegistryOptions = {}): RegistryClient & { pushChecks: number } {
  const platforms = options.platforms ?? ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: platforms.map((p, i) => {
      const [os, architecture, variant] = p.split('/');
      return {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${String(i).repeat(64)}`,
        size: 500,
        platform: { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) },
      };
    }),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  const digest = options.digest ?? sha256Digest(bytes);
  const client = {
    registry: 'fake.example.com',
    pushChecks: 0,
    async getManifest(_repository: string, reference: string): Promise<Manifest> {
      if (reference !== digest) throw new RegistryError('manifest unknown', 404, 'MANIFEST_UNKNOWN');
      return { mediaType: index.mediaType, digest, size: bytes.length, json: index };
    },
    async resolve(_repository: string, reference: string) {
      return options.staleTags?.includes(reference) ? `sha256:${'0'.repeat(64)}` : digest;
    },
    async getBlob(): Promise<Buffer> {
      throw new RegistryError('no blobs here', 404);
    },
    async checkLogin() {
      if (options.loginRefused) throw options.loginRefused;
    },
    async checkPushAccess() {
      client.pushChecks++;
      if (options.pushRefused) throw options.pushRefused;
    },
    // The push API belongs to the fast path, which these build tests do not take.
    async getManifestBytes() {
      return undefined;
    },
    async hasBlob() {
      return false;
    },
    async mountBlob() {
      return false;
    },
    async uploadBlob(): Promise<void> {
      throw new RegistryError('this fake registry takes no uploads', 405);
    },
    async putManifest(): Promise<string> {
      throw new RegistryError('this fake registry takes no manifests', 405);
    },
  };
  return client;
}

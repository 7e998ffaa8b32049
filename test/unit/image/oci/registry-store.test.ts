// The registry image store against the in-process OCI registry: how putBlob gets a blob there
// (present, mounted, uploaded) with the fewest requests, manifests in and out, and telling a
// registry store from other stores.
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  createRegistryClient,
  MEDIA_TYPES,
  type RegistryClient,
} from '../../../../src/image/registry-client.js';
import { sha256Digest } from '../../../../src/image/oci/digest.js';
import type { BlobSource, ImageStore } from '../../../../src/image/oci/image-store.js';
import {
  ASK_FIRST_ABOVE,
  registryLocation,
  registryStore,
} from '../../../../src/image/oci/registry-store.js';
import {
  startOciRegistry,
  type OciRegistry,
  type OciRegistryOptions,
} from '../../../support/oci-registry.js';

const USER = 'ci';
const PASSWORD = 'store-secret-2219';

const started: OciRegistry[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.close()));
});

/** A registry and a client that has met its challenge, with a clean request log. */
async function setup(options: OciRegistryOptions = {}): Promise<{ r: OciRegistry; client: RegistryClient }> {
  const r = await startOciRegistry({ users: { [USER]: PASSWORD }, ...options });
  started.push(r);
  const client = createRegistryClient({
    registry: r.host,
    credentials: { username: USER, password: PASSWORD },
  });
  await client.checkLogin();
  r.clearLog();
  return { r, client };
}

function bytesSource(bytes: Buffer) {
  return jest.fn(async (): Promise<BlobSource> => ({ kind: 'bytes', bytes }));
}

const requestLine = (r: OciRegistry) =>
  r.requests.map((q) => `${q.method} ${q.path.replace(/[0-9a-f]{16,}/g, 'x')}`);

/** An environment image in `repository`: one layer, one config, one manifest tagged `env`. */
function seedImage(r: OciRegistry, repository: string) {
  const layer = randomBytes(2000);
  const config = Buffer.from(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );
  r.addBlob(repository, layer);
  r.addBlob(repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256Digest(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha256Digest(layer),
          size: layer.length,
        },
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha256Digest(Buffer.from('elsewhere')),
          size: 9,
          urls: ['https://example.com/layer'],
        },
      ],
    }),
  );
  const digest = r.addManifest(repository, MEDIA_TYPES.ociManifest, manifest, 'env');
  return { layer, config, manifest, digest };
}

describe('registry store', () => {
  test('name and location; other stores are not registry stores', async () => {
    const { r, client } = await setup();
    const store = registryStore(client, 'team/app');
    expect(store.name).toBe(`${r.host}/team/app`);
    expect(registryLocation(store)).toEqual({ client, registry: r.host, repository: 'team/app' });
    const layout = { name: 'oci-layout:/tmp/x' } as ImageStore;
    expect(registryLocation(layout)).toBeUndefined();
    expect(registryLocation(undefined)).toBeUndefined();
  });

  test('a new blob: one HEAD, then the upload; afterwards present without a request', async () => {
    const { r, client } = await setup();
    const store = registryStore(client, 'app');
    const bytes = randomBytes(ASK_FIRST_ABOVE + 1);
    const source = bytesSource(bytes);
    await expect(store.putBlob(sha256Digest(bytes), bytes.length, source)).resolves.toBe('uploaded');
    expect(requestLine(r)).toEqual([
      `HEAD /v2/app/blobs/sha256:x`,
      'POST /v2/app/blobs/uploads/',
      'PUT /v2/app/blobs/uploads/x',
    ]);
    expect(r.blob('app', sha256Digest(bytes))?.equals(bytes)).toBe(true);
    r.clearLog();
    await expect(store.putBlob(sha256Digest(bytes), bytes.length, source)).resolves.toBe('present');
    await expect(registryStore(client, 'app').hasBlob(sha256Digest(bytes))).resolves.toBe(true);
    expect(r.requests).toHaveLength(0);
    expect(source).toHaveBeenCalledTimes(1);
  });

  test('a blob already there: one HEAD, nothing read or sent', async () => {
    const { r, client } = await setup();
    const bytes = randomBytes(ASK_FIRST_ABOVE + 1);
    r.addBlob('app', bytes);
    const source = bytesSource(bytes);
    await expect(
      registryStore(client, 'app').putBlob(sha256Digest(bytes), bytes.length, source),
    ).resolves.toBe('present');
    expect(r.requests).toHaveLength(1);
    expect(source).not.toHaveBeenCalled();
  });

  test('a small blob with nowhere to mount it from (a new config): uploaded without asking first', async () => {
    const { r, client } = await setup();
    const bytes = randomBytes(ASK_FIRST_ABOVE);
    r.addBlob('app', bytes); // even when it is there: sending costs about what asking would
    const source = bytesSource(bytes);
    await expect(
      registryStore(client, 'app').putBlob(sha256Digest(bytes), bytes.length, source),
    ).resolves.toBe('uploaded');
    expect(requestLine(r)).toEqual(['POST /v2/app/blobs/uploads/', 'PUT /v2/app/blobs/uploads/x']);
  });

  test('a streamed blob: one upload session, its digest given at the end; then known present', async () => {
    const { r, client } = await setup();
    const store = registryStore(client, 'app');
    const bytes = randomBytes(300_000);
    let ended = false;
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
      ended = true;
    }
    const digest = () => {
      expect(ended).toBe(true); // asked only once every byte has been read
      return sha256Digest(bytes);
    };
    await expect(store.putBlobStream!(chunks(), digest)).resolves.toBe(bytes.length);
    expect(requestLine(r)).toEqual([
      'POST /v2/app/blobs/uploads/',
      'PATCH /v2/app/blobs/uploads/x',
      'PUT /v2/app/blobs/uploads/x',
    ]);
    expect(r.blob('app', sha256Digest(bytes))?.equals(bytes)).toBe(true);
    r.clearLog();
    await expect(store.putBlob(sha256Digest(bytes), bytes.length, bytesSource(bytes))).resolves.toBe(
      'present',
    );
    expect(r.requests).toHaveLength(0);
  });

  test('from another repository of the same registry: mounted in one request', async () => {
    const { r, client } = await setup();
    const env = seedImage(r, 'env');
    const target = registryStore(client, 'release');
    const source = bytesSource(env.layer);
    await expect(
      target.putBlob(sha256Digest(env.layer), env.layer.length, source, registryStore(client, 'env')),
    ).resolves.toBe('mounted');
    expect(requestLine(r)).toEqual(['POST /v2/release/blobs/uploads/']);
    expect(r.blob('release', sha256Digest(env.layer))?.equals(env.layer)).toBe(true);
    expect(source).not.toHaveBeenCalled();
  });

  test('a mount the registry declines: cancelled, one HEAD, then uploaded', async () => {
    const { r, client } = await setup({ refuseMounts: true });
    const env = seedImage(r, 'env');
    const target = registryStore(client, 'release');
    await expect(
      target.putBlob(
        sha256Digest(env.layer),
        env.layer.length,
        bytesSource(env.layer),
        registryStore(client, 'env'),
      ),
    ).resolves.toBe('uploaded');
    expect(requestLine(r)).toEqual([
      'POST /v2/release/blobs/uploads/',
      'DELETE /v2/release/blobs/uploads/x',
      'HEAD /v2/release/blobs/sha256:x',
      'POST /v2/release/blobs/uploads/',
      'PUT /v2/release/blobs/uploads/x',
    ]);
    expect(r.blob('release', sha256Digest(env.layer))?.equals(env.layer)).toBe(true);
  });

  test('from the same repository: blobs its manifests reference are present without a request', async () => {
    const { r, client } = await setup();
    const env = seedImage(r, 'app');
    const source = registryStore(client, 'app');
    const read = await source.getManifest('env');
    expect(read).toEqual({ mediaType: MEDIA_TYPES.ociManifest, digest: env.digest, bytes: env.manifest });
    r.clearLog();
    const target = registryStore(client, 'app');
    for (const blob of [env.layer, env.config])
      await expect(target.putBlob(sha256Digest(blob), blob.length, bytesSource(blob), source)).resolves.toBe(
        'present',
      );
    expect(r.requests).toHaveLength(0);
    // A foreign layer (with URLs) is not taken as present: one HEAD says it is not, so it is uploaded.
    const foreign = Buffer.from('elsewhere');
    await expect(target.putBlob(sha256Digest(foreign), 9, bytesSource(foreign), source)).resolves.toBe(
      'uploaded',
    );
    expect(r.count('HEAD')).toBe(1);
  });

  test('from the same repository, not seen in a manifest: one HEAD', async () => {
    const { r, client } = await setup();
    const bytes = randomBytes(64);
    r.addBlob('app', bytes);
    const other = createRegistryClient({
      registry: r.host,
      credentials: { username: USER, password: PASSWORD },
    });
    await expect(
      registryStore(client, 'app').putBlob(
        sha256Digest(bytes),
        64,
        bytesSource(bytes),
        registryStore(other, 'app'),
      ),
    ).resolves.toBe('present');
    expect(requestLine(r)).toEqual(['HEAD /v2/app/blobs/sha256:x']);
  });

  test('from another registry: no mount; HEAD, then upload', async () => {
    const { r, client } = await setup();
    const elsewhere = await setup();
    const env = seedImage(elsewhere.r, 'env');
    await expect(
      registryStore(client, 'env').putBlob(
        sha256Digest(env.layer),
        env.layer.length,
        bytesSource(env.layer),
        registryStore(elsewhere.client, 'env'),
      ),
    ).resolves.toBe('uploaded');
    expect(r.count('POST')).toBe(1);
    expect(r.requests.some((q) => q.query.includes('mount='))).toBe(false);
    expect(elsewhere.r.requests).toHaveLength(0);
  });

  test('the same blob put twice at once: one upload', async () => {
    const { r, client } = await setup();
    const store = registryStore(client, 'app');
    const bytes = randomBytes(300);
    const source = bytesSource(bytes);
    const results = await Promise.all([
      store.putBlob(sha256Digest(bytes), 300, source),
      store.putBlob(sha256Digest(bytes), 300, source),
    ]);
    expect(results.sort()).toEqual(['present', 'uploaded']);
    expect(source).toHaveBeenCalledTimes(1);
    expect(r.count('PUT')).toBe(1);
  });

  test('manifests: one PUT under a tag, one under a digest; read back identical; unknown is undefined', async () => {
    const { r, client } = await setup();
    const env = seedImage(r, 'app');
    const store = registryStore(client, 'app');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: env.digest, size: env.manifest.length }],
      }),
    );
    const stored = { mediaType: MEDIA_TYPES.ociIndex, digest: sha256Digest(index), bytes: index };
    await store.putManifest(stored, 'v2');
    await store.putManifest({ mediaType: MEDIA_TYPES.ociManifest, digest: env.digest, bytes: env.manifest });
    expect(requestLine(r)).toEqual(['PUT /v2/app/manifests/v2', 'PUT /v2/app/manifests/sha256:x']);
    await expect(store.getManifest('v2')).resolves.toEqual(stored);
    await expect(store.getManifest(stored.digest)).resolves.toEqual(stored);
    await expect(store.getManifest('missing')).resolves.toBeUndefined();
    await expect(store.putManifest({ ...stored, digest: env.digest }, 'v3')).rejects.toThrow(
      `pushing to ${r.host}/app: the manifest's bytes do not hash to ${env.digest}`,
    );
    expect((await store.getBlob(sha256Digest(env.config))).equals(env.config)).toBe(true);
  });
});

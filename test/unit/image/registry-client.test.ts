// The registry reader against a small HTTPS registry with basic authentication (distribution's
// htpasswd mode), and a blob redirect to storage on another host, over real HTTPS.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRegistryClient, parseChallenge } from '../../../src/image/registry-client.js';
import { sha256Digest } from '../../../src/image/oci/digest.js';
import {
  checkPlatforms,
  checkTags,
  MissingPlatformsError,
  readPushedImage,
} from '../../../src/image/verify.js';
import { issueServerCertificate } from '../../../src/sandbox/tls.js';
import { testCertificateAuthority } from '../../support/sandbox.js';

const USER = 'ci';
const PASSWORD = 'pa:ss word';
const config = Buffer.from(JSON.stringify({ architecture: 'arm', os: 'linux', variant: 'v7' }));
const image = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256Digest(config),
      size: config.length,
    },
    layers: [],
  }),
);
const index = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256Digest(image),
        size: image.length,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${'1'.repeat(64)}`,
        size: 10,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${'2'.repeat(64)}`,
        size: 10,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
    ],
  }),
);

let registry: Server;
let storage: Server;
let registryHost = '';
let storageHost = '';
const storageHeaders: IncomingMessage['headers'][] = [];
const seen: string[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as { port: number }).port}`)),
  );
}

function registryHandler(req: IncomingMessage, res: ServerResponse): void {
  seen.push(`${req.method} ${req.url}`);
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  if (req.headers.authorization !== expected) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="sandbox"', 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return;
  }
  const manifests: Record<string, Buffer> = {
    v1: index,
    [sha256Digest(index)]: index,
    [sha256Digest(image)]: image,
  };
  const manifest = /^\/v2\/app\/manifests\/(.+)$/.exec(req.url ?? '')?.[1];
  if (manifest && manifests[manifest]) {
    const body = manifests[manifest]!;
    const type = (JSON.parse(body.toString()) as { mediaType: string }).mediaType;
    res.writeHead(200, {
      'content-type': type,
      'docker-content-digest': sha256Digest(body),
      'content-length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (req.url === `/v2/app/blobs/${sha256Digest(config)}`) {
    res.writeHead(307, { location: `https://${storageHost}/blob?sig=signed` });
    res.end();
    return;
  }
  if (req.method === 'POST' && req.url === '/v2/readonly/blobs/uploads/') {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('Method not allowed');
    return;
  }
  if (req.method === 'POST' && req.url === '/v2/app/blobs/uploads/') {
    res.writeHead(202, { location: `https://${registryHost}/v2/app/blobs/uploads/u1` });
    res.end();
    return;
  }
  if (req.method === 'DELETE') {
    res.writeHead(204);
    res.end();
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
}

beforeAll(async () => {
  const ca = testCertificateAuthority();
  const pem = await issueServerCertificate(ca, ['127.0.0.1']);
  registry = createServer(pem, registryHandler);
  storage = createServer(pem, (req, res) => {
    storageHeaders.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(config);
  });
  [registryHost, storageHost] = await Promise.all([listen(registry), listen(storage)]);
});
afterAll(async () => {
  registry.closeAllConnections();
  storage.closeAllConnections();
  await Promise.all([new Promise((r) => registry.close(r)), new Promise((r) => storage.close(r))]);
});

describe('registry reader, basic authentication', () => {
  const client = () =>
    createRegistryClient({ registry: registryHost, credentials: { username: USER, password: PASSWORD } });

  test('reads an index by tag and digest; attestations are not platforms', async () => {
    const pushed = await readPushedImage(client(), 'app', sha256Digest(index));
    expect(pushed).toMatchObject({ platforms: ['linux/amd64', 'linux/arm64'], attestations: 1 });
    expect(() =>
      checkPlatforms(['linux/amd64', 'linux/arm64', 'linux/arm/v7'], pushed, `${registryHost}/app`),
    ).toThrow(MissingPlatformsError);
    expect(() => checkPlatforms(['linux/amd64', 'linux/arm64', 'linux/arm/v7'], pushed, 'r/app')).toThrow(
      'r/app lacks linux/arm/v7: the registry holds linux/amd64, linux/arm64.',
    );
    await expect(checkTags(client(), 'app', ['v1'], sha256Digest(index))).resolves.toBeUndefined();
    await expect(checkTags(client(), 'app', ['v2'], sha256Digest(index))).rejects.toThrow(
      /app:v2 does not exist, not at the pushed/,
    );
  });

  test('reads one image: its platform from the config, fetched through a redirect without credentials', async () => {
    const pushed = await readPushedImage(client(), 'app', sha256Digest(image));
    expect(pushed.platforms).toEqual(['linux/arm/v7']);
    expect(storageHeaders.at(-1)?.authorization).toBeUndefined();
  });

  test('the digest is checked against the bytes', async () => {
    await expect(readPushedImage(client(), 'app', `sha256:${'f'.repeat(64)}`)).rejects.toThrow(
      /MANIFEST_UNKNOWN/,
    );
  });

  test('push access: an upload is started and cancelled; a read-only registry refuses', async () => {
    await expect(client().checkPushAccess('app')).resolves.toBeUndefined();
    expect(seen).toContain('DELETE /v2/app/blobs/uploads/u1');
    await expect(client().checkPushAccess('readonly')).rejects.toThrow(
      /the registry refused a push to readonly: .* answered 405 \(Method not allowed\)/,
    );
  });

  test('wrong or no credentials', async () => {
    await expect(
      createRegistryClient({
        registry: registryHost,
        credentials: { username: USER, password: 'no' },
      }).getManifest('app', 'v1'),
    ).rejects.toThrow(`${registryHost} refused the credentials of user 'ci' (401)`);
    await expect(createRegistryClient({ registry: registryHost }).getManifest('app', 'v1')).rejects.toThrow(
      /needs credentials: give registry-username and registry-password/,
    );
  });
});

test.each<[string, { scheme: string; params: Record<string, string> } | undefined]>([
  [
    'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:a/b:pull,push',
      },
    },
  ],
  ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
  [
    'Bearer realm=https://x/token, service=x',
    { scheme: 'bearer', params: { realm: 'https://x/token', service: 'x' } },
  ],
])('parses the challenge %s', (header, challenge) => {
  expect(parseChallenge(header)).toEqual(challenge);
});

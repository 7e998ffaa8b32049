// The hand-written environment images in test/fixtures/oci, read as a store would return them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformImage } from '../../../../src/image/oci/append.js';
import type { StoredManifest } from '../../../../src/image/oci/image-store.js';
import { REPO_ROOT } from '../../../support/paths.js';

export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'oci');

export const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function storedFixture(name: string): StoredManifest {
  const bytes = fixture(name);
  return {
    mediaType: (JSON.parse(bytes.toString()) as { mediaType: string }).mediaType,
    digest: sha256(bytes),
    bytes,
  };
}

/** The platform images of a fixture family (`oci` or `docker`), by manifest digest. */
export function platformImages(family: 'oci' | 'docker'): Map<string, PlatformImage> {
  const images = new Map<string, PlatformImage>();
  for (const platform of ['amd64', 'arm64', 'armv7']) {
    const manifest = storedFixture(`${family}-manifest-${platform}.json`);
    images.set(manifest.digest, { manifest, config: fixture(`config-${platform}.json`) });
  }
  return images;
}

export function parseJson<T = Record<string, unknown>>(bytes: Buffer): T {
  return JSON.parse(bytes.toString('utf8')) as T;
}

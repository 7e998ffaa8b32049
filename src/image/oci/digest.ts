// sha256 content digests as the OCI specs write them (`sha256:<64 hex>`).
import { createHash } from 'node:crypto';

const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/;

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of a sha256 digest; throws on anything else (it becomes a file name in a layout). */
export function sha256Hex(digest: string): string {
  const hex = SHA256_DIGEST.exec(digest)?.[1];
  if (!hex) throw new Error(`'${digest}' is not a sha256 digest (sha256:<64 lower-case hex digits>)`);
  return hex;
}

export function isSha256Digest(reference: string): boolean {
  return SHA256_DIGEST.test(reference);
}

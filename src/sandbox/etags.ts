// ETags and If-Match checks. The real hub's etags are opaque base64 strings (twins: an 8-byte
// counter, e.g. "AAAAAAAAAAE="); one counter per hub keeps every etag unique, even across a
// delete and re-create of the same id, so a stale client can never match by accident.
import { HubError } from './hub-types.js';

export class EtagSource {
  private counter = 0n;

  next(): string {
    this.counter += 1n;
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(this.counter);
    return bytes.toString('base64');
  }
}

/** Strips the quotes (and a weak `W/` prefix) that HTTP clients put around an etag. */
export function unquoteEtag(value: string): string {
  const trimmed = value.trim().replace(/^W\//, '');
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed;
}

/** Throws 412 PreconditionFailed unless `ifMatch` is absent, `*`, or the current etag. */
export function checkIfMatch(ifMatch: string | undefined, currentEtag: string, what: string): void {
  if (ifMatch === undefined) return;
  const wanted = unquoteEtag(ifMatch);
  if (wanted === '*' || wanted === currentEtag) return;
  throw new HubError(
    412,
    'PreconditionFailed',
    `Precondition failed: the etag '${wanted}' does not match the current etag '${currentEtag}' of ${what}; read it again and retry`,
  );
}

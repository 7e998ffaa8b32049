// Deterministic "randomness" for the simulation: a value derived from the hub's seed and a few keys,
// so a run replays exactly (same latencies, same generation ids) without keeping generator state.

/** A 32-bit FNV-1a hash of the parts, finished with a murmur-style mix for a good spread. */
export function seededHash(seed: number, ...parts: readonly (string | number)[]): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A number in [0, 1) derived from the seed and the parts. */
export function seededUnit(seed: number, ...parts: readonly (string | number)[]): number {
  return seededHash(seed, ...parts) / 2 ** 32;
}

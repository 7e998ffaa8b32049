// Where the model-layer fast path reads an environment image from and writes the release image to:
// a registry through the OCI distribution API (registry-store.ts) or an OCI image layout folder
// (layout-store.ts). The append logic (append-model.ts) sees only this interface.

/** A manifest or index exactly as stored: its bytes are what its digest is computed over. */
export interface StoredManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

/** Bytes of a blob to write: in memory, or a file read as a stream (large model layers). */
export type BlobSource = { kind: 'bytes'; bytes: Buffer } | { kind: 'file'; path: string };

export interface ImageStore {
  /** For log lines and errors: `registry/repository` or `oci-layout:<dir>`. */
  readonly name: string;
  /** A manifest or index by tag or digest; undefined when there is none. */
  getManifest(reference: string): Promise<StoredManifest | undefined>;
  getBlob(digest: string): Promise<Buffer>;
  hasBlob(digest: string): Promise<boolean>;
  /**
   * Makes a blob present. `from` names the store the blob is known to be in already, so a registry
   * can mount it across repositories instead of uploading it; `source` reads it otherwise.
   * Returns how it got there, for the log and the bench's "bytes pushed".
   */
  putBlob(
    digest: string,
    size: number,
    source: () => Promise<BlobSource>,
    from?: ImageStore,
  ): Promise<'present' | 'mounted' | 'uploaded'>;
  /**
   * Writes a blob whose digest is known only once its bytes have all been read (a layer compressed
   * while it uploads); `digest()` is asked then. Returns the bytes written. Stores that cannot
   * stream leave it out: the caller then makes the blob first and uses putBlob. The blob lands only
   * once `beforeLanding` has resolved (bytes may go to a private upload session before that).
   */
  putBlobStream?(
    chunks: AsyncIterable<Buffer>,
    digest: () => string,
    beforeLanding?: Promise<void>,
  ): Promise<number>;
  /** Stores a manifest or index under its digest and, when given, a tag. */
  putManifest(manifest: StoredManifest, tag?: string): Promise<void>;
}

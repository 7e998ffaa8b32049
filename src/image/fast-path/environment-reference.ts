// The `environment-image` input: an image in a registry (`host/repo:tag`, `host/repo@sha256:…`, or
// `repo:tag` in the release's registry) or in an OCI image layout folder (`oci:<folder>[:<tag>]`,
// skopeo's spelling).
import { digestProblem, registryProblem, repositoryProblem, tagProblem } from '../reference.js';

export type EnvironmentReference =
  | { kind: 'registry'; registry: string; repository: string; reference: string }
  | { kind: 'layout'; dir: string; reference: string };

/** The parsed reference, or the problem with it. `registry` is the release's registry. */
export function parseEnvironmentImage(
  text: string,
  registry: string,
): { reference?: EnvironmentReference; problem?: string } {
  if (text.startsWith('oci:')) {
    const rest = text.slice(4);
    const colon = rest.lastIndexOf(':');
    // A trailing `:<tag>` has no `/`; a folder path may hold colons only before its last `/`.
    const tagged = colon > 0 && !rest.slice(colon + 1).includes('/');
    const dir = tagged ? rest.slice(0, colon) : rest;
    const reference = tagged ? rest.slice(colon + 1) : 'latest';
    if (!dir) return { problem: `'${text}' names no folder: write oci:<folder>[:<tag>]` };
    return { reference: { kind: 'layout', dir, reference } };
  }
  const at = text.indexOf('@');
  let name = at >= 0 ? text.slice(0, at) : text;
  let reference = at >= 0 ? text.slice(at + 1) : 'latest';
  if (at < 0) {
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      reference = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
  }
  const first = name.split('/')[0]!;
  const hasHost = name.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  const host = hasHost ? first : registry;
  const repository = hasHost ? name.slice(first.length + 1) : name;
  const problem =
    (hasHost ? registryProblem(host) : undefined) ??
    repositoryProblem(repository) ??
    (at >= 0 ? digestProblem(reference) : tagProblem(reference));
  if (problem) return { problem };
  return { reference: { kind: 'registry', registry: host, repository, reference } };
}

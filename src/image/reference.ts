// Registry hosts, repository names, tags and digests, checked against the grammar the OCI
// distribution specification and Docker's reference package use, with errors that say how to fix
// the name rather than only that it is wrong.

const HOST_LABEL = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)';
const HOST = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** Registries refuse full names (host/repository) longer than this. */
export const MAX_NAME_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

/** Why `registry` is not a registry host (`myacr.azurecr.io`, `localhost:5000`), or undefined. */
export function registryProblem(registry: string): string | undefined {
  if (/^[a-z]+:\/\//i.test(registry)) {
    const host = registry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
    return `'${registry}' is a URL: give the host only, e.g. '${host}'`;
  }
  if (registry.includes('/')) {
    const [host, ...path] = registry.split('/');
    return `'${registry}' has a path: give the host only ('${host}') and put '${path.join('/')}/' in front of \`image\``;
  }
  if (!HOST.test(registry))
    return `'${registry}' is not a registry host name such as myacr.azurecr.io or localhost:5000`;
  const port = /:(\d+)$/.exec(registry)?.[1];
  if (port !== undefined && Number(port) > 65535) return `'${registry}' has port ${port}, above 65535`;
  return undefined;
}

/** Why `repository` is not a repository path (`vision`, `team/vision-model`), or undefined. */
export function repositoryProblem(repository: string): string | undefined {
  if (repository.includes(':') || repository.includes('@')) {
    const name = repository.replace(/[:@].*$/, '');
    return `'${repository}' includes a tag or digest: give the repository only ('${name}') and tags in \`tags\``;
  }
  if (repository.startsWith('/') || repository.endsWith('/') || repository.includes('//'))
    return `'${repository}' has an empty path component`;
  const bad = repository.split('/').find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined) {
    const lower = repository.toLowerCase();
    const hint =
      lower !== repository && lower.split('/').every((c) => PATH_COMPONENT.test(c))
        ? `: repository names are lower-case ('${lower}')`
        : ': use lower-case letters and digits, separated by ., _, __ or -';
    return `'${repository}' is not a repository name (component '${bad}')${hint}`;
  }
  return undefined;
}

/** Why `tag` is not an image tag, or undefined. */
export function tagProblem(tag: string): string | undefined {
  if (tag.includes('/') || tag.includes(':') || tag.includes('@'))
    return `'${tag}' is not a tag: give the tag alone (the repository comes from \`registry\` and \`image\`)`;
  if (tag.length > MAX_TAG_LENGTH)
    return `tag '${tag.slice(0, 20)}…' is ${tag.length} characters; at most ${MAX_TAG_LENGTH}`;
  if (!TAG.test(tag)) {
    return `'${tag}' is not a tag: use letters, digits, _, . and -, not starting with . or -`;
  }
  return undefined;
}

/** Why `digest` is not a content digest (`sha256:` + 64 hex digits), or undefined. */
export function digestProblem(digest: string): string | undefined {
  return DIGEST.test(digest)
    ? undefined
    : `'${digest}' is not a digest: expected sha256: followed by 64 hex digits`;
}

/** Turns any text into a valid tag: invalid characters become `-`, at most 128 characters. */
export function sanitizeTag(text: string): string {
  const tag = text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, MAX_TAG_LENGTH)
    .replace(/[.-]+$/, '');
  return tag;
}

/** Azure Container Registry login servers, whose ARM name is the first label. */
const ACR_SUFFIXES = ['.azurecr.io', '.azurecr.cn', '.azurecr.us'];

export function isAcrLoginServer(registry: string): boolean {
  const host = registry.toLowerCase();
  return ACR_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

/**
 * `myacr.azurecr.io` → `myacr` (the ARM resource name), or undefined for other registries. Registry
 * names are letters and digits only; a `-` in the first label starts the hash that registries with a
 * domain-name-label scope carry (`myacr-b7e2c4.azurecr.io`).
 */
export function acrName(registry: string): string | undefined {
  if (!isAcrLoginServer(registry)) return undefined;
  return registry.toLowerCase().split('.')[0]?.split('-')[0];
}

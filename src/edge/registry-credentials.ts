// Registry credentials the edge agent pulls with (reference §2.4): `{username, password, address}`
// under a name matching ^[^\.\$# ]+$. They are plain text in the deployment and the $edgeAgent twin,
// so they only ever come from the caller's inputs (nothing is invented), and `secretValues` lists
// the passwords for the caller to mask before anything is logged.
import { type ManifestProblem, type PathSegment, fail, problem, throwIfProblems } from './errors.js';
import { isLayered } from './manifest-shape.js';
import {
  CREDENTIAL_OR_ROUTE_NAME,
  DESIRED,
  type DeploymentManifest,
  type JsonObject,
  LAYERED_PREFIX,
  isJsonObject,
} from './types.js';

export interface RegistryCredentialInput {
  /** Registry host, e.g. `myacr.azurecr.io` or `localhost:5000` (no scheme, no path). */
  address: string;
  username: string;
  password: string;
  /** The credential's name in the manifest; derived from the address when absent. */
  name?: string;
}

// A type, not an interface, so it is assignable to JsonObject.
export type RegistryCredential = { username: string; password: string; address: string };

const ADDRESS = /^[^\s/]+$/;
const LAYERED_CREDENTIAL_PREFIX = `${LAYERED_PREFIX}runtime.settings.registryCredentials.`;

/** The credential name for a registry: its first DNS label, lower-cased (`myacr.azurecr.io` → `myacr`). */
export function credentialName(address: string): string {
  const host = address.trim().replace(/:\d+$/, '');
  return (host.split('.')[0] ?? '').toLowerCase();
}

function inputProblems(input: RegistryCredentialInput, index: number): ManifestProblem[] {
  const at: PathSegment[] = ['registries', index];
  const problems: ManifestProblem[] = [];
  const address = typeof input.address === 'string' ? input.address.trim() : '';
  if (address.includes('://') || !ADDRESS.test(address)) {
    problems.push(
      problem(
        [...at, 'address'],
        `the registry address must be a host name with an optional port, found '${input.address ?? ''}'`,
        'give the registry host only, e.g. myacr.azurecr.io or localhost:5000',
      ),
    );
  }
  for (const field of ['username', 'password'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') {
      problems.push(
        problem(
          [...at, field],
          `the ${field} for registry '${address}' is missing`,
          `pass the registry ${field}; credentials are never made up`,
        ),
      );
    }
  }
  const name = input.name ?? credentialName(address);
  if (!CREDENTIAL_OR_ROUTE_NAME.test(name)) {
    problems.push(
      problem(
        [...at, 'name'],
        `the registry credential name '${name}' is invalid: it must match ^[^\\.\\$# ]+$ (no '.', '$', '#' or space)`,
        'pass a name such as myacr',
      ),
    );
  }
  return problems;
}

/** Credentials by name for the manifest, from the caller's inputs. Throws ManifestError. */
export function registryCredentials(
  inputs: readonly RegistryCredentialInput[],
): Record<string, RegistryCredential> {
  const problems = inputs.flatMap(inputProblems);
  const result: Record<string, RegistryCredential> = {};
  inputs.forEach((input, index) => {
    const address = input.address?.trim() ?? '';
    const name = input.name ?? credentialName(address);
    const earlier = result[name];
    if (earlier !== undefined) {
      problems.push(
        problem(
          ['registries', index, 'name'],
          `two registries get the credential name '${name}' (${earlier.address} and ${address})`,
          'give each registry once, with its own name',
        ),
      );
    }
    result[name] = { username: input.username, password: input.password, address };
  });
  throwIfProblems(problems, 'The registry credentials are not valid');
  return result;
}

export interface CredentialEntry {
  name: string;
  value: unknown;
  path: PathSegment[];
}

/** The registry credentials a manifest's $edgeAgent holds, in either shape. */
export function credentialEntries(manifest: unknown): CredentialEntry[] {
  const modulesContent = isJsonObject(manifest) ? manifest['modulesContent'] : undefined;
  const agent = isJsonObject(modulesContent) ? modulesContent['$edgeAgent'] : undefined;
  if (!isJsonObject(agent)) return [];
  const entries: CredentialEntry[] = [];
  const desired = agent[DESIRED];
  const runtime = isJsonObject(desired) ? desired['runtime'] : undefined;
  const settings = isJsonObject(runtime) ? runtime['settings'] : undefined;
  const credentials = isJsonObject(settings) ? settings['registryCredentials'] : undefined;
  if (isJsonObject(credentials)) {
    for (const [name, value] of Object.entries(credentials)) {
      const path = [
        'modulesContent',
        '$edgeAgent',
        DESIRED,
        'runtime',
        'settings',
        'registryCredentials',
        name,
      ];
      entries.push({ name, value, path });
    }
  }
  for (const [key, value] of Object.entries(agent)) {
    if (key.startsWith(LAYERED_CREDENTIAL_PREFIX)) {
      entries.push({
        name: key.slice(LAYERED_CREDENTIAL_PREFIX.length),
        value,
        path: ['modulesContent', '$edgeAgent', key],
      });
    }
  }
  return entries;
}

/** Every registry password in the manifest, for the caller to mask (`core.setSecret`) before logging. */
export function secretValues(manifest: unknown): string[] {
  const passwords = credentialEntries(manifest).map(({ value }) =>
    isJsonObject(value) ? value['password'] : undefined,
  );
  return [...new Set(passwords.filter((p): p is string => typeof p === 'string' && p !== ''))];
}

/** The registryCredentials object of a base manifest's $edgeAgent, created when only it is missing. */
function baseCredentials(agent: JsonObject): JsonObject {
  const desired = agent[DESIRED];
  const runtime = isJsonObject(desired) ? desired['runtime'] : undefined;
  if (!isJsonObject(runtime)) {
    fail(
      problem(
        ['modulesContent', '$edgeAgent', DESIRED, 'runtime'],
        'the $edgeAgent runtime section is missing, so there is nowhere to put registry credentials',
        'add "runtime": {"type": "docker", "settings": {}} to the $edgeAgent desired properties',
      ),
    );
  }
  const settings = isJsonObject(runtime['settings']) ? runtime['settings'] : (runtime['settings'] = {});
  const credentials = settings['registryCredentials'];
  return isJsonObject(credentials) ? credentials : (settings['registryCredentials'] = {});
}

/**
 * A copy of the manifest with the caller's registry credentials in $edgeAgent. An entry already there
 * for the same address (e.g. a template's `$CONTAINER_REGISTRY_PASSWORD` placeholders) gets the
 * values and keeps its name. Throws ManifestError.
 */
export function withRegistryCredentials(
  manifest: DeploymentManifest,
  inputs: readonly RegistryCredentialInput[],
): DeploymentManifest {
  const wanted = registryCredentials(inputs);
  const result = structuredClone(manifest);
  const agent = result.modulesContent['$edgeAgent'] ?? (result.modulesContent['$edgeAgent'] = {});
  const existing = credentialEntries(result);
  const base = isLayered(result) ? undefined : baseCredentials(agent);
  const problems: ManifestProblem[] = [];
  for (const [name, credential] of Object.entries(wanted)) {
    const addressOf = (entry: CredentialEntry): string =>
      isJsonObject(entry.value) && typeof entry.value['address'] === 'string' ? entry.value['address'] : '';
    const sameAddress = existing.find(
      (entry) => addressOf(entry).toLowerCase() === credential.address.toLowerCase(),
    );
    const sameName = existing.find((entry) => entry.name === name);
    if (!sameAddress && sameName) {
      problems.push(
        problem(
          sameName.path,
          `the credential name '${name}' is already used for '${addressOf(sameName)}', not ${credential.address}`,
          'give the registry input an explicit name that the manifest does not use yet',
        ),
      );
      continue;
    }
    const chosen = sameAddress?.name ?? name;
    if (base) base[chosen] = { ...credential };
    else agent[`${LAYERED_CREDENTIAL_PREFIX}${chosen}`] = { ...credential };
  }
  throwIfProblems(problems, 'The registry credentials do not fit the manifest');
  return result;
}

// The ARM routes of the sandbox Azure ML endpoint, below
// /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}:
// the workspace, datastores (+ listSecrets) and model containers and versions. Fixed segments match
// case-insensitively, as ARM's do; names are URL-decoded.
import { armError } from './http-errors.js';

export type ArmAction =
  | 'workspaces/read'
  | 'workspaces/datastores/read'
  | 'workspaces/datastores/listsecrets/action'
  | 'workspaces/models/read'
  | 'workspaces/models/write'
  | 'workspaces/models/versions/read'
  | 'workspaces/models/versions/write'
  | 'workspaces/models/versions/delete';

export type ArmRoute =
  | { kind: 'workspace' }
  | { kind: 'datastores' }
  | { kind: 'datastore'; datastore: string }
  | { kind: 'listSecrets'; datastore: string }
  | { kind: 'models' }
  | { kind: 'model'; model: string }
  | { kind: 'versions'; model: string }
  | { kind: 'version'; model: string; version: string };

export interface ArmTarget {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  route: ArmRoute;
}

const PREFIX =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.machinelearningservices\/workspaces\/([^/]+)(\/.*)?$/i;

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw armError(400, 'InvalidRequestUri', `The path segment '${segment}' is not valid.`);
  }
}

function routeOf(rest: string[]): ArmRoute | undefined {
  const [collection, name, sub, subName, extra] = rest;
  const is = (value: string | undefined, wanted: string) => value?.toLowerCase() === wanted.toLowerCase();
  if (rest.length === 0) return { kind: 'workspace' };
  if (is(collection, 'datastores')) {
    if (rest.length === 1) return { kind: 'datastores' };
    if (rest.length === 2) return { kind: 'datastore', datastore: decode(name!) };
    if (rest.length === 3 && is(sub, 'listSecrets')) return { kind: 'listSecrets', datastore: decode(name!) };
  }
  if (is(collection, 'models')) {
    if (rest.length === 1) return { kind: 'models' };
    if (rest.length === 2) return { kind: 'model', model: decode(name!) };
    if (rest.length === 3 && is(sub, 'versions')) return { kind: 'versions', model: decode(name!) };
    if (rest.length === 4 && is(sub, 'versions') && extra === undefined)
      return { kind: 'version', model: decode(name!), version: decode(subName!) };
  }
  return undefined;
}

/** The workspace and route of an ARM path; undefined when the path is not below a workspace. */
export function matchArmPath(path: string): ArmTarget | undefined {
  const match = PREFIX.exec(path);
  if (!match) return undefined;
  const rest = (match[4] ?? '').split('/').filter(Boolean);
  const route = routeOf(rest);
  if (!route) {
    throw armError(
      404,
      'InvalidResourceType',
      `The resource type '${rest.filter((_, i) => i % 2 === 0).join('/')}' could not be found in the namespace 'Microsoft.MachineLearningServices'.`,
    );
  }
  return {
    subscriptionId: decode(match[1]!),
    resourceGroup: decode(match[2]!),
    workspace: decode(match[3]!),
    route,
  };
}

/** The RBAC action a request needs; undefined when the method is not allowed on the route. */
export function actionOf(method: string, route: ArmRoute): ArmAction | undefined {
  const verb = method.toUpperCase();
  switch (route.kind) {
    case 'workspace':
      return verb === 'GET' ? 'workspaces/read' : undefined;
    case 'datastores':
    case 'datastore':
      return verb === 'GET' ? 'workspaces/datastores/read' : undefined;
    case 'listSecrets':
      return verb === 'POST' ? 'workspaces/datastores/listsecrets/action' : undefined;
    case 'models':
    case 'model':
      return verb === 'GET' ? 'workspaces/models/read' : undefined;
    case 'versions':
      return verb === 'GET' ? 'workspaces/models/versions/read' : undefined;
    case 'version':
      if (verb === 'GET') return 'workspaces/models/versions/read';
      if (verb === 'PUT') return 'workspaces/models/versions/write';
      if (verb === 'DELETE') return 'workspaces/models/versions/delete';
      return undefined;
  }
}

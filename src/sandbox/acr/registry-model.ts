// The state of a sandbox Azure Container Registry: ARM resources (scope maps, tokens with their two
// password slots), the registry's token service (refresh tokens from the Entra exchange, access
// tokens per repository scope) and a little content (manifests, blobs) to read back.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export type RepositoryAction = 'pull' | 'push' | 'delete';
export type PasswordSlot = 'password1' | 'password2';

export interface ScopeMapState {
  name: string;
  description?: string;
  actions: string[];
  creationDate: string;
  /** GETs that still answer `Creating` (an asynchronous create). */
  pendingPolls: number;
}

export interface TokenPasswordState {
  name: PasswordSlot;
  value: string;
  creationTime: string;
  expiry?: string;
}

export interface TokenState {
  name: string;
  scopeMapName: string;
  status: 'enabled' | 'disabled';
  creationDate: string;
  passwords: TokenPasswordState[];
  pendingPolls: number;
}

/** Who a registry credential stands for and what it may do per repository (`*` = every one). */
export interface RegistryPrincipal {
  subject: string;
  allowed(repository: string): Set<RepositoryAction>;
}

interface AccessToken {
  subject: string;
  access: Map<string, Set<RepositoryAction>>;
  expires: number;
}

/** The scope-map action that grants a docker action: content/read → pull, content/write → push. */
const SCOPE_ACTIONS: Record<string, RepositoryAction> = {
  'content/read': 'pull',
  'content/write': 'push',
  'content/delete': 'delete',
};
export const SCOPE_MAP_ACTION =
  /^repositories\/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)\/(content\/read|content\/write|content\/delete|metadata\/read|metadata\/write)$/;

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class SandboxRegistry {
  readonly scopeMaps = new Map<string, ScopeMapState>();
  readonly tokens = new Map<string, TokenState>();
  private readonly refreshTokens = new Map<
    string,
    { subject: string; role: 'push' | 'pull'; expires: number }
  >();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  private readonly tags = new Map<string, string>();
  private readonly blobs = new Map<string, Buffer>();
  readonly uploads = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  // --- content ----------------------------------------------------------------------------------

  putBlob(repository: string, bytes: Buffer): string {
    const digest = digestOf(bytes);
    this.blobs.set(`${repository}@${digest}`, bytes);
    return digest;
  }

  getBlob(repository: string, digest: string): Buffer | undefined {
    return this.blobs.get(`${repository}@${digest}`);
  }

  /** Stores a manifest (JSON text as given) under its digest and, when given, a tag. */
  putManifest(
    repository: string,
    reference: string | undefined,
    body: string | object,
    mediaType?: string,
  ): string {
    const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const type =
      mediaType ??
      (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ??
      'application/vnd.oci.image.manifest.v1+json';
    const digest = digestOf(bytes);
    this.manifests.set(`${repository}@${digest}`, { bytes, mediaType: type });
    if (reference && !reference.startsWith('sha256:')) this.tags.set(`${repository}:${reference}`, digest);
    return digest;
  }

  getManifest(
    repository: string,
    reference: string,
  ): { bytes: Buffer; mediaType: string; digest: string } | undefined {
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(`${repository}:${reference}`);
    const manifest = digest ? this.manifests.get(`${repository}@${digest}`) : undefined;
    return manifest && digest ? { ...manifest, digest } : undefined;
  }

  // --- tokens and scope maps --------------------------------------------------------------------

  /** A repository-scoped token's password check: the principal it stands for, or why not. */
  tokenPrincipal(username: string, password: string): RegistryPrincipal | string {
    const token = this.tokens.get(username.toLowerCase());
    if (!token) return 'unknown token';
    if (token.status !== 'enabled') return 'the token is disabled';
    const slot = token.passwords.find((p) => p.value === password);
    if (!slot) return 'wrong password';
    if (slot.expiry && Date.parse(slot.expiry) <= this.now()) return `${slot.name} expired`;
    const scopeMap = this.scopeMaps.get(token.scopeMapName.toLowerCase());
    return {
      subject: `token:${token.name}`,
      allowed: (repository) => {
        const granted = new Set<RepositoryAction>();
        for (const action of scopeMap?.actions ?? []) {
          const match = SCOPE_MAP_ACTION.exec(action);
          const docker = match && SCOPE_ACTIONS[match[2]!];
          if (match && docker && match[1] === repository) granted.add(docker);
        }
        return granted;
      },
    };
  }

  /** New value for one slot (or both), as generateCredentials does. */
  generatePasswords(token: TokenState, slots: PasswordSlot[], expiry?: string): TokenPasswordState[] {
    const creationTime = new Date(this.now()).toISOString();
    for (const name of slots) {
      const password: TokenPasswordState = {
        name,
        value: randomBytes(24).toString('base64'),
        creationTime,
        expiry,
      };
      token.passwords = [...token.passwords.filter((p) => p.name !== name), password].sort((a, b) =>
        a.name.localeCompare(b.name),
      );
    }
    return token.passwords.filter((p) => slots.includes(p.name));
  }

  // --- registry token service -------------------------------------------------------------------

  /** `/oauth2/exchange`: a refresh token for an Entra principal with an AcrPush or AcrPull role. */
  issueRefreshToken(subject: string, role: 'push' | 'pull'): string {
    const token = `sandbox-acr-refresh.${randomUUID()}`;
    this.refreshTokens.set(token, { subject, role, expires: this.now() + 3 * 3600_000 });
    return token;
  }

  refreshPrincipal(refreshToken: string): RegistryPrincipal | string {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry) return 'unknown refresh token';
    if (entry.expires <= this.now()) return 'the refresh token expired';
    const actions: RepositoryAction[] = entry.role === 'push' ? ['pull', 'push'] : ['pull'];
    return { subject: entry.subject, allowed: () => new Set(actions) };
  }

  /** An access token for the requested scopes, granting what the principal may do. */
  issueAccessToken(principal: RegistryPrincipal, scopes: string[]): string {
    const access = new Map<string, Set<RepositoryAction>>();
    for (const scope of scopes) {
      const match = /^repository:(.+):([a-z,*]+)$/.exec(scope);
      if (!match) continue;
      const repository = match[1]!;
      const wanted = match[2]!.split(',');
      const allowed = principal.allowed(repository);
      const granted = access.get(repository) ?? new Set<RepositoryAction>();
      for (const action of wanted) {
        if (action === '*') allowed.forEach((a) => granted.add(a));
        else if (allowed.has(action as RepositoryAction)) granted.add(action as RepositoryAction);
      }
      access.set(repository, granted);
    }
    const token = `sandbox-acr-access.${randomUUID()}`;
    this.accessTokens.set(token, { subject: principal.subject, access, expires: this.now() + 75 * 60_000 });
    return token;
  }

  /** Whether an access token allows `action` on `repository`. */
  allows(
    accessToken: string | undefined,
    repository: string | undefined,
    action: RepositoryAction | 'login',
  ): boolean {
    const entry = accessToken ? this.accessTokens.get(accessToken) : undefined;
    if (!entry || entry.expires <= this.now()) return false;
    if (action === 'login' || repository === undefined) return true;
    return entry.access.get(repository)?.has(action) ?? false;
  }
}

// createAzureCredential against a local Entra ID stand-in (token-endpoint.ts): the real
// @azure/identity credentials and MSAL, over HTTPS trusted through the test CA.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  AzureSignInError,
  createAzureCredential,
  DEFAULT_OIDC_AUDIENCE,
} from '../../../src/azure/credentials.js';
import { memoryLogger } from '../../../src/logger.js';
import { jwt } from '../../support/tokens.js';
import { startTokenEndpoint, type TokenEndpoint } from './token-endpoint.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const SECRET = 'client~secret.value-0123456789';
const SCOPE = 'https://iothubs.azure.net/.default';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

let endpoint: TokenEndpoint;

beforeAll(async () => {
  endpoint = await startTokenEndpoint();
});
afterEach(() => {
  endpoint.refuseWith(undefined);
  endpoint.requests.length = 0;
});
afterAll(() => endpoint.stop());

/** A GitHub-like ID token source that hands out a new token (new jti) on every call. */
function githubIdTokens(subject = 'repo:octo/app:ref:refs/heads/main') {
  const issued: string[] = [];
  const audiences: string[] = [];
  const getIdToken = async (audience: string) => {
    audiences.push(audience);
    const token = jwt({ iss: GITHUB_ISSUER, sub: subject, aud: audience, jti: `id-${issued.length + 1}` });
    issued.push(token);
    return token;
  };
  return { getIdToken, issued, audiences };
}

async function signInError(promise: Promise<unknown>): Promise<AzureSignInError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AzureSignInError);
  return error as AzureSignInError;
}

function oidcCredential(tokens = githubIdTokens(), logger = memoryLogger()) {
  return createAzureCredential({
    tenantId: TENANT,
    clientId: CLIENT,
    getIdToken: tokens.getIdToken,
    authorityHost: endpoint.authorityHost,
    disableInstanceDiscovery: true,
    logger,
  });
}

describe('GitHub OIDC', () => {
  test('exchanges a fresh GitHub ID token for every token request', async () => {
    const tokens = githubIdTokens();
    const logger = memoryLogger();
    const credential = oidcCredential(tokens, logger);
    expect(credential.kind).toBe('github-oidc');
    const accessTokens = [];
    for (let i = 0; i < 3; i++) accessTokens.push((await credential.getToken(SCOPE))?.token);

    expect(accessTokens).toEqual(['access-token-1', 'access-token-2', 'access-token-3']);
    // MSAL asks for an assertion twice per exchange (once for its client configuration, once for the
    // request, which is the one sent): every ask gets a new GitHub token, and each exchange sends its own.
    const sent = endpoint.requests.map((r) => r.form.client_assertion);
    expect(new Set(sent).size).toBe(3);
    for (const [i, assertion] of sent.entries()) {
      expect(tokens.issued.indexOf(assertion!)).toBeGreaterThanOrEqual(i);
    }
    expect(new Set(tokens.issued).size).toBe(tokens.issued.length);
    expect(tokens.audiences.every((audience) => audience === DEFAULT_OIDC_AUDIENCE)).toBe(true);
    expect(endpoint.requests[0]).toMatchObject({
      tenant: TENANT,
      form: {
        client_id: CLIENT,
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      },
    });
    expect(endpoint.requests[0]!.form.scope).toContain(SCOPE);

    // The claims are logged once (later ones at debug level), never the token.
    expect(logger.lines).toContain(
      `GitHub OIDC token: issuer '${GITHUB_ISSUER}', subject 'repo:octo/app:ref:refs/heads/main', audience '${DEFAULT_OIDC_AUDIENCE}'`,
    );
    expect(logger.lines.filter((line) => line.startsWith('GitHub OIDC token'))).toHaveLength(1);
    for (const token of tokens.issued) expect(logger.lines.join('\n')).not.toContain(token);
  });

  test('a custom audience goes to GitHub', async () => {
    const tokens = githubIdTokens();
    const credential = createAzureCredential({
      tenantId: TENANT,
      clientId: CLIENT,
      getIdToken: tokens.getIdToken,
      audience: 'api://AzureADTokenExchangeUSGov',
      authorityHost: endpoint.authorityHost,
      disableInstanceDiscovery: true,
    });
    await credential.getToken(SCOPE);
    expect(new Set(tokens.audiences)).toEqual(new Set(['api://AzureADTokenExchangeUSGov']));
  });

  test('no ID token from GitHub: says the workflow needs id-token: write', async () => {
    const credential = createAzureCredential({
      tenantId: TENANT,
      clientId: CLIENT,
      getIdToken: async () => {
        throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
      },
      authorityHost: endpoint.authorityHost,
      disableInstanceDiscovery: true,
    });
    const error = await signInError(credential.getToken(SCOPE));
    expect(error.message).toMatch(
      /GitHub did not issue an OIDC token \(Unable to get ACTIONS_ID_TOKEN_REQUEST_URL/,
    );
    expect(error.message).toContain('permissions: id-token: write');
    expect(endpoint.requests).toHaveLength(0);
  });

  test('a subject no federated credential matches: shows the presented subject and an example', async () => {
    const tokens = githubIdTokens('repo:octo/app:environment:prod');
    endpoint.refuseWith({
      status: 400,
      description:
        "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://token.actions.githubusercontent.com'. Assertion Subject: 'repo:octo/app:environment:prod'.",
    });
    const error = await signInError(oidcCredential(tokens).getToken(SCOPE));
    expect(error.code).toBe('AADSTS70021');
    expect(error.message).toContain("subject 'repo:octo/app:environment:prod'");
    expect(error.message).toContain(
      "'repo:<owner>/<repo>:environment:prod', not 'repo:<owner>/<repo>:ref:refs/heads/main'",
    );
    expect(error.message).toContain(`client-id ${CLIENT}`);
    expect(error.message).not.toMatch(/Trace ID/);
    for (const token of tokens.issued) expect(error.message).not.toContain(token);
  });

  test.each([
    ['AADSTS700016: Application with identifier was not found in the directory', /check both inputs/],
    ['AADSTS7002138: subject matches only case-insensitively', /case-sensitively/],
    ['AADSTS90002: Tenant not found', /check tenant-id, and authority-host/],
    ['AADSTS50000: something unusual happened', /Check client-id and tenant-id .*audience .*authority-host/],
  ])('%s is explained', async (description, explanation) => {
    endpoint.refuseWith({ status: 400, description });
    const error = await signInError(oidcCredential().getToken(SCOPE));
    expect(error.message).toMatch(explanation);
    expect(error.message).toContain(description.split(':')[0]!);
  });

  test('an unreachable authority names authority-host', async () => {
    const credential = createAzureCredential({
      tenantId: TENANT,
      clientId: CLIENT,
      getIdToken: githubIdTokens().getIdToken,
      authorityHost: 'https://127.0.0.1:1',
      disableInstanceDiscovery: true,
    });
    const error = await signInError(credential.getToken(SCOPE));
    expect(error.message).toMatch(/authority-host/);
  });
});

describe('client secret', () => {
  function secretCredential() {
    return createAzureCredential({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      getIdToken: githubIdTokens().getIdToken, // a secret wins over an available OIDC token
      authorityHost: endpoint.authorityHost,
      disableInstanceDiscovery: true,
    });
  }

  test('sends the secret to the token endpoint and returns its token', async () => {
    const credential = secretCredential();
    expect(credential.kind).toBe('client-secret');
    expect((await credential.getToken(SCOPE))?.token).toBe('access-token-1');
    expect(endpoint.requests[0]?.form).toMatchObject({ client_id: CLIENT, client_secret: SECRET });
  });

  test('a wrong secret is explained without the secret', async () => {
    endpoint.refuseWith({
      status: 401,
      description: `AADSTS7000215: Invalid client secret provided: ${SECRET}`,
    });
    const error = await signInError(secretCredential().getToken(SCOPE));
    expect(error.message).toMatch(/client-secret is not a valid secret of this application/);
    expect(error.message).not.toContain(SECRET);
  });
});

describe('choosing the credential', () => {
  test.each([
    [
      'a secret without tenant-id',
      { clientSecret: SECRET, clientId: CLIENT },
      /client-secret is set, but tenant-id is missing/,
    ],
    [
      'OIDC without client-id',
      { getIdToken: async () => 'x', tenantId: TENANT },
      /needs client-id and tenant-id; client-id is missing/,
    ],
    [
      'an authority host without scheme',
      { authorityHost: 'login.microsoftonline.com' },
      /authority-host 'login.microsoftonline.com' is not a URL/,
    ],
    ['an http authority host', { authorityHost: 'http://login.example' }, /must be an https:\/\/ URL/],
  ])('%s is refused', (_name, options, message) => {
    expect(() => createAzureCredential(options)).toThrow(message);
  });

  test('an ID token source without ids (outside a configured workflow) falls back to the default chain', () => {
    expect(createAzureCredential({ getIdToken: async () => 'x' }).kind).toBe('default');
  });

  test('without any credential, the default chain’s failure says how to sign in', async () => {
    const saved = { ...process.env };
    try {
      for (const name of Object.keys(process.env)) if (name.startsWith('AZURE_')) delete process.env[name];
      // Only the environment credential, so the test neither waits for IMDS nor finds a developer login.
      process.env.AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential';
      const credential = createAzureCredential({ disableInstanceDiscovery: true });
      expect(credential.kind).toBe('default');
      const error = await signInError(credential.getToken(SCOPE));
      expect(error.message).toMatch(
        /^Azure sign-in with the default Azure credentials failed for https:\/\/iothubs/,
      );
      expect(error.message).toMatch(/az login.*permissions: id-token: write/);
    } finally {
      process.env = saved;
    }
  });
});

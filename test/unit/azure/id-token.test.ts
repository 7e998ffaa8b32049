import { expect, test } from '@jest/globals';
import { describeIdToken, readIdTokenClaims } from '../../../src/azure/id-token.js';
import { jwt } from '../../support/tokens.js';

const token = jwt({
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo/app:environment:prod',
  aud: 'api://AzureADTokenExchange',
  job_workflow_ref: 'octo/app/.github/workflows/rollout.yml@refs/heads/main',
});

test('the claims a federated credential must match, for a log line, without the signature', () => {
  const line = describeIdToken(token);
  expect(line).toBe(
    "issuer 'https://token.actions.githubusercontent.com', subject 'repo:octo/app:environment:prod', " +
      "audience 'api://AzureADTokenExchange'",
  );
  expect(line).not.toContain(token.split('.')[2]);
});

test('an audience list and missing claims are shown as such', () => {
  expect(readIdTokenClaims(jwt({ aud: ['a', 'b'] }))).toEqual({
    iss: undefined,
    sub: undefined,
    aud: 'a, b',
  });
  expect(describeIdToken(jwt({ sub: 's' }))).toBe("issuer (none), subject 's', audience (none)");
});

test.each([
  '',
  'not-a-jwt',
  'a.b',
  'a.!!!.c',
  `${Buffer.from('{}').toString('base64url')}.${Buffer.from('"text"').toString('base64url')}.x`,
])('%j is not shown', (value) => {
  expect(readIdTokenClaims(value)).toBeUndefined();
  expect(describeIdToken(value)).toBe('not a JWT (its claims cannot be shown)');
});

// The fixed secrets the tests hand to the code (passwords, client secrets, shared access keys), for
// scripts/secret-scan.ts. Secrets made at run time (sandbox keys and client secrets) are added to the
// journal by recordTestSecret() instead. Values shorter than MIN_SECRET_LENGTH are left out: a scan
// for "pw-123" or "s3cret" would find ordinary words, not leaks.
import { AZURITE_ACCOUNT_KEY } from '../../src/sandbox/aml/azurite.js';

export const MIN_SECRET_LENGTH = 8;

export const TEST_SECRETS: readonly string[] = [
  // test/integration/model/bad-inputs.test.ts
  'bad-inputs-client-secret',
  'wrong-secret-value',
  // test/integration/rollout/stage.test.ts
  'pull-only-password-7f3a9c21',
  'client-secret-value-5d8e1b44',
  // test/unit/azure/credentials.test.ts
  'client~secret.value-0123456789',
  // test/unit/rollout/client/hub-*.test.ts, test/unit/azure/redact-secrets.test.ts
  'c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHM=',
  'c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHM+/AB==',
  // test/unit/sandbox/server/auth.test.ts, front.test.ts; test/unit/rollout/engine/connect.test.ts
  Buffer.from('0123456789abcdef0123456789abcdef').toString('base64'),
  Buffer.from('fedcba9876543210fedcba9876543210').toString('base64'),
  Buffer.from('front-test-key-front-test-key-00').toString('base64'),
  Buffer.from('k'.repeat(32)).toString('base64'),
  'not-logged-secret',
  // test/unit/edge/*, test/unit/rollout/engine/rollout-inputs.test.ts, test/unit/image/registry-client.test.ts
  'not-a-real-password',
  'dotenv-password',
  'registry-password-123',
  'pa:ss word',
  // Azurite's account key: public, but a shared key all the same; the code must treat it as one.
  AZURITE_ACCOUNT_KEY,
];

/** The ways a secret can be written without being spelled out: as is, base64, base64url, URL-encoded. */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [
    ...new Set([secret, bytes.toString('base64'), bytes.toString('base64url'), encodeURIComponent(secret)]),
  ];
}

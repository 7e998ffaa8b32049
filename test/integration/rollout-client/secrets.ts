// Asserting that log lines and error messages hold no credential: neither the given secrets nor
// anything shaped like a SAS token, a signature, a shared access key or a bearer token.
import { expect } from '@jest/globals';

export function sharedAccessKeyOf(connectionString: string): string {
  const key = /SharedAccessKey=([^;]+)/.exec(connectionString)?.[1];
  if (!key) throw new Error('the connection string has no SharedAccessKey');
  return key;
}

export function expectNoSecrets(lines: readonly string[], secrets: readonly string[]): void {
  const text = lines.join('\n');
  for (const secret of secrets) {
    expect(text.includes(secret)).toBe(false);
    expect(text.includes(encodeURIComponent(secret))).toBe(false);
  }
  expect(text).not.toMatch(
    /SharedAccessSignature sr=|sig=(?!\[redacted\])|SharedAccessKey=(?!\[redacted\])|Bearer (?!\[redacted\])|eyJ[\w-]+\./,
  );
}

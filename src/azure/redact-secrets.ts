// Keeps Azure credentials out of log lines and error messages. SDK errors can carry request details
// (an Authorization header, a connection string's key, a token), so texts taken from them pass
// through `redactSecrets` before they are logged or put in an error of ours.

const REDACTED = '[redacted]';

/** Credential shapes recognised anywhere in a text, with what replaces them. */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  // `SharedAccessSignature sr=…&sig=…&se=…&skn=…`: the whole token, whatever the field order.
  [/SharedAccessSignature\s+[^\s"',;]+/gi, `SharedAccessSignature ${REDACTED}`],
  [/\bsig=[^&\s"',;]+/gi, `sig=${REDACTED}`],
  [/\bSharedAccessKey=[^;\s"',]+/gi, `SharedAccessKey=${REDACTED}`],
  [/\bBearer\s+[\w\-.~+/]+=*/gi, `Bearer ${REDACTED}`],
  // A JWT on its own (header.payload.signature, the header always starts with `{"` → `eyJ`).
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, REDACTED],
];

/** Literal secrets shorter than this are not searched for: they would redact ordinary words. */
const MIN_LITERAL_LENGTH = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `text` with credentials replaced by `[redacted]`: every SAS token, signature, shared access key,
 * bearer token and JWT, plus the `known` secrets (e.g. the key of the connection string in use) in
 * plain and URL-encoded form.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let result = text;
  for (const secret of known) {
    if (secret.length < MIN_LITERAL_LENGTH) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      result = result.replace(new RegExp(escapeRegExp(form), 'g'), REDACTED);
    }
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

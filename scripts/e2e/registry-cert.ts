// `node --import tsx scripts/e2e/registry-cert.ts <dir> <name>...`: a certificate authority and a
// server certificate for the e2e registry's names, from the project's own issuer. Writes ca.pem,
// server.pem (the certificate followed by the CA) and server-key.pem into <dir>.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority, issueServerCertificate } from '../../src/sandbox/tls.js';

const [dir, ...names] = process.argv.slice(2);
if (!dir || names.length === 0) {
  console.error('usage: registry-cert.ts <dir> <name>...');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const ca = await createCertificateAuthority('ml-to-iot-edge e2e registry CA', 30);
const server = await issueServerCertificate(ca, names, 30);
const pem = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);
writeFileSync(join(dir, 'ca.pem'), pem(ca.cert));
writeFileSync(join(dir, 'server.pem'), pem(server.cert) + pem(ca.cert));
writeFileSync(join(dir, 'server-key.pem'), server.key, { mode: 0o600 });
console.log(`   certificate for ${names.join(', ')} in ${dir}`);

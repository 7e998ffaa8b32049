// How this project authenticates the IoT Hub requests it sends itself (the Registry authenticates
// its own): a SAS token made by the SDK's `SharedAccessSignature` from a connection string, or an
// Entra ID bearer token from a TokenCredential. Both remember what must never be logged.
import type { TokenCredential } from '@azure/identity';
import iothub from 'azure-iothub';

/** The Entra ID scope of IoT Hub data-plane calls (what `Registry.fromTokenCredential` asks for too). */
export const IOT_HUB_SCOPE = 'https://iothubs.azure.net/.default';

/** SAS tokens live an hour, as the SDK's own do. */
const SAS_LIFETIME_SECONDS = 3600;

export interface HubAuthorization {
  readonly hostName: string;
  /** The Authorization header for one request. */
  header(): Promise<string>;
  /** Secret strings seen so far (keys, tokens), for redaction. */
  secrets(): readonly string[];
}

export interface HubConnectionString {
  hostName: string;
  keyName: string;
  key: string;
}

const REQUIRED_FIELDS = ['HostName', 'SharedAccessKeyName', 'SharedAccessKey'] as const;

/**
 * The parts of a hub connection string. Errors name the fields that are missing or out of place,
 * never their values.
 */
export function parseHubConnectionString(connectionString: string): HubConnectionString {
  const fields = new Map<string, string>();
  for (const part of connectionString.trim().split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  if (fields.has('DeviceId')) {
    throw new Error(
      'the IoT Hub connection string is a device connection string (it has DeviceId): the rollout needs a ' +
        "hub-level shared access policy with registry read and write and service connect (twin queries), e.g. 'iothubowner' " +
        '(Azure portal: the hub → Shared access policies).',
    );
  }
  const missing = REQUIRED_FIELDS.filter((name) => !fields.get(name));
  if (missing.length) {
    const present = [...fields.keys()].join(', ') || 'nothing readable';
    throw new Error(
      `the IoT Hub connection string lacks ${missing.join(', ')} (it has ${present}): copy the primary ` +
        "connection string of a shared access policy such as 'iothubowner' (the hub → Shared access policies).",
    );
  }
  return {
    hostName: fields.get('HostName')!,
    keyName: fields.get('SharedAccessKeyName')!,
    key: fields.get('SharedAccessKey')!,
  };
}

/** Authorization from a hub connection string: a SAS token per request, signed with the policy key. */
export function sasAuthorization(connectionString: string): HubAuthorization {
  const { hostName, keyName, key } = parseHubConnectionString(connectionString);
  const issued: string[] = [];
  return {
    hostName,
    async header() {
      // Real time, not an injected clock: the hub checks the expiry against its own wall clock.
      const expiry = Math.floor(Date.now() / 1000) + SAS_LIFETIME_SECONDS;
      const token = iothub.SharedAccessSignature.create(hostName, keyName, key, expiry).toString();
      issued.splice(0, issued.length, token);
      return token;
    },
    secrets: () => [key, connectionString, ...issued],
  };
}

/** Authorization from an Entra ID credential: `Bearer <token>` for the IoT Hub scope. */
export function bearerAuthorization(hostName: string, credential: TokenCredential): HubAuthorization {
  const issued: string[] = [];
  return {
    hostName,
    async header() {
      const accessToken = await credential.getToken(IOT_HUB_SCOPE);
      if (!accessToken?.token) throw new Error(`the Azure credential returned no token for ${IOT_HUB_SCOPE}`);
      issued.splice(0, issued.length, accessToken.token);
      return `Bearer ${accessToken.token}`;
    },
    secrets: () => [...issued],
  };
}

/**
 * A hub host name as the SDK needs it: a bare name. A leading `https://` or a trailing `/` is
 * forgiven; a port is refused because the SDK always connects to 443 and would silently ignore it.
 */
export function normaliseHubHostName(value: string): string {
  const hostName = value
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '');
  if (!hostName || /[/\s]/.test(hostName)) {
    throw new Error(`'${value}' is not an IoT Hub host name: give it as 'myhub.azure-devices.net'`);
  }
  if (/:\d+$/.test(hostName)) {
    throw new Error(
      `IoT Hub host name '${value}' has a port: azure-iothub always connects to port 443, give the name alone`,
    );
  }
  return hostName;
}

// Where a sandbox hub listens. `azure-iothub` always connects to port 443 of the connection string's
// HostName, so every sandbox needs a port 443 of its own: each takes a free loopback address from
// 127.0.0.2–127.0.0.254 (all of 127.0.0.0/8 is local on Linux), starting at a random one so that test
// files running in parallel rarely even try the same address.
import type { Server } from 'node:net';

export const FIRST_LOOPBACK_HOST = 2;
export const LAST_LOOPBACK_HOST = 254;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function tryListen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function explain(error: unknown, port: number, host: string): Error {
  const code = errorCode(error);
  if (code === 'EACCES') {
    return new Error(
      `cannot listen on ${host}:${port}: binding a port below 1024 needs privileges. Run as root, or allow it ` +
        `with 'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${port}'.`,
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new Error(
      `cannot listen on ${host}:${port}: the address is not on this machine (only 127.0.0.1 is loopback by ` +
        `default outside Linux). Pass host 127.0.0.1, or add the address to the loopback interface.`,
    );
  }
  if (code === 'EADDRINUSE') {
    return new Error(
      `cannot listen on ${host}:${port}: another process already uses it. Choose another host or port.`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Starts `server` on `port` and returns the address it took. With `host`, only that address is tried;
 * without, the first free one of 127.0.0.2–127.0.0.254 from a random start.
 */
export async function listenOnLoopback(
  server: Server,
  port: number,
  host?: string,
  random: () => number = Math.random,
): Promise<string> {
  if (host) {
    try {
      await tryListen(server, port, host);
      return host;
    } catch (error) {
      throw explain(error, port, host);
    }
  }
  const count = LAST_LOOPBACK_HOST - FIRST_LOOPBACK_HOST + 1;
  const start = Math.floor(random() * count);
  for (let i = 0; i < count; i++) {
    const candidate = `127.0.0.${FIRST_LOOPBACK_HOST + ((start + i) % count)}`;
    try {
      await tryListen(server, port, candidate);
      return candidate;
    } catch (error) {
      if (errorCode(error) !== 'EADDRINUSE') throw explain(error, port, candidate);
    }
  }
  throw new Error(
    `every loopback address 127.0.0.${FIRST_LOOPBACK_HOST}–127.0.0.${LAST_LOOPBACK_HOST} already has port ${port} in use. ` +
      `Stop some sandboxes, or pass a host explicitly.`,
  );
}

import { afterEach, describe, expect, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { listenOnLoopback } from '../../../../src/sandbox/loopback.js';

// A high port keeps this test free of privileges; the integration tests use 443.
const PORT = 18443;
const servers: Server[] = [];

function newServer(): Server {
  const server = createServer();
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(
    servers
      .splice(0)
      .map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(undefined)))),
  );
});

/** A `random` whose start lands on 127.0.0.<host>. */
function startAt(host: number): () => number {
  return () => (host - 2 + 0.5) / 253;
}

describe('listenOnLoopback', () => {
  test('takes the address the random start points at', async () => {
    expect(await listenOnLoopback(newServer(), PORT, undefined, startAt(77))).toBe('127.0.0.77');
  });

  test('skips addresses whose port is taken, wrapping past .254 to .2', async () => {
    await listenOnLoopback(newServer(), PORT, '127.0.0.254');
    expect(await listenOnLoopback(newServer(), PORT, undefined, startAt(254))).toBe('127.0.0.2');
  });

  test('parallel sandboxes get different addresses', async () => {
    const hosts = await Promise.all(
      [1, 2, 3, 4].map(() => listenOnLoopback(newServer(), PORT, undefined, startAt(100))),
    );
    expect(new Set(hosts).size).toBe(4);
  });

  test('an explicit host that is taken fails with the fix', async () => {
    await listenOnLoopback(newServer(), PORT, '127.0.0.9');
    await expect(listenOnLoopback(newServer(), PORT, '127.0.0.9')).rejects.toThrow(
      /127.0.0.9:18443: another process already uses it/,
    );
  });

  test('no privilege for the port fails with both fixes (root, or the sysctl)', async () => {
    const refusing = new EventEmitter() as unknown as Server;
    (refusing as unknown as { listen(): void }).listen = () =>
      queueMicrotask(() =>
        refusing.emit('error', Object.assign(new Error('listen EACCES'), { code: 'EACCES' })),
      );
    await expect(listenOnLoopback(refusing, 443, undefined, startAt(5))).rejects.toThrow(
      "cannot listen on 127.0.0.5:443: binding a port below 1024 needs privileges. Run as root, or allow it with 'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=443'.",
    );
  });

  test('an address that is not local fails with the fix', async () => {
    await expect(listenOnLoopback(newServer(), PORT, '192.0.2.1')).rejects.toThrow(/not on this machine/);
  });
});

/**
 * The TCP ports listening on 127.0.0.1 on this machine, read from /proc/net/tcp (Linux): what any
 * local process can learn without asking anyone, so tests can probe them as an attacker would.
 */
import { readFileSync } from 'node:fs';

/** `0A` is TCP_LISTEN; `0100007F` is 127.0.0.1 in the kernel's byte order. */
function listeningLoopbackPorts(): Set<number> {
  const ports = new Set<number>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local = '', , state] = line.trim().split(/\s+/);
    const [address, port] = local.split(':');
    if (state === '0A' && address === '0100007F' && port !== undefined) ports.add(Number.parseInt(port, 16));
  }
  return ports;
}

export { listeningLoopbackPorts };

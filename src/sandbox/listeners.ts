// Binding the sandbox's listeners: one per Exchange port of the server, on --host, at
// port + offset. All or nothing: if one port cannot be bound the others are closed again and
// the error names the port.
import net from 'node:net';
import { UsageError } from '../errors.js';

export interface ListenerPlan { exchangePort: number; host: string; port: number }
export interface BoundListener extends ListenerPlan { server: net.Server }

export const DEFAULT_PORT_OFFSET = 10000;

/**
 * Connections the kernel may hold for a listener before the sandbox accepts them (Linux caps it
 * at net.core.somaxconn, 4096 by default since kernel 5.4). Node's default, 511, is smaller than
 * a burst of clients connecting at once, and past it Linux does not refuse: it drops the
 * handshake's last ACK and, after a few SYN-ACK retries, forgets the connection without a reset
 * (net.ipv4.tcp_abort_on_overflow=0). The client then holds an established connection and, SMTP's
 * server speaking first, waits for a greeting that never comes. 5,000 is Exchange's default
 * MaxInboundConnection (shared reference), the most clients a connector takes at once.
 */
export const LISTEN_BACKLOG = 5000;

/** `portFor` lets tests ask for port 0 (any free port); the CLI uses port + offset. */
export function planListeners(exchangePorts: readonly number[], host: string, portFor: (exchangePort: number) => number): ListenerPlan[] {
  return exchangePorts.map((exchangePort) => {
    const port = portFor(exchangePort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`Exchange port ${exchangePort} maps to ${port}, outside 0-65535 (choose another --port-offset)`);
    }
    return { exchangePort, host, port };
  });
}

export async function bindListeners(plans: readonly ListenerPlan[], serverName: string, onConnection: (socket: net.Socket, plan: ListenerPlan) => void): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const plan of plans) {
      const server = net.createServer((socket) => onConnection(socket, { ...plan, port: actualPort(server, plan.port) }));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: plan.host, port: plan.port, exclusive: true, backlog: LISTEN_BACKLOG }, () => { server.removeListener('error', reject); resolve(); });
      });
      // Later socket-level errors of the listener are not fatal to the sandbox.
      server.on('error', () => undefined);
      bound.push({ ...plan, port: actualPort(server, plan.port), server });
    }
  } catch (error) {
    await closeListeners(bound);
    const code = (error as NodeJS.ErrnoException).code;
    const failed = plans[bound.length];
    const where = failed === undefined ? '' : `${failed.host}:${failed.port} (for ${serverName} port ${failed.exchangePort})`;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${failed?.port ?? '?'} is already in use: cannot listen on ${where}`);
    if (code === 'EACCES') throw new UsageError(`port ${failed?.port ?? '?'}: permission denied to listen on ${where}`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UsageError(`cannot listen on ${where}: address not available here`);
    throw error;
  }
  return bound;
}

function actualPort(server: net.Server, fallback: number): number {
  const address = server.address();
  return address !== null && typeof address === 'object' ? address.port : fallback;
}

/** The contract's ready line, exactly. */
export function listeningLine(listener: ListenerPlan, serverName: string): string {
  return `listening ${listener.host}:${listener.port} for ${serverName} port ${listener.exchangePort}`;
}

/** Stops accepting; resolves once each listener has stopped (open sockets are the caller's). */
export function closeListeners(listeners: readonly BoundListener[]): Promise<void> {
  return Promise.all(listeners.map((l) => new Promise<void>((resolve) => {
    if (!l.server.listening) { resolve(); return; }
    l.server.close(() => resolve());
  }))).then(() => undefined);
}

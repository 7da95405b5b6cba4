// Binding the sandbox's listeners: one per Exchange port of the server, on --host, at
// port + offset. All or nothing: if one port cannot be bound the others are closed again and
// the error names the port.
import net from 'node:net';
import { UsageError } from '../errors.js';

export interface ListenerPlan { exchangePort: number; host: string; port: number }
export interface BoundListener extends ListenerPlan { server: net.Server }

export const DEFAULT_PORT_OFFSET = 10000;

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
        server.listen({ host: plan.host, port: plan.port, exclusive: true }, () => { server.removeListener('error', reject); resolve(); });
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

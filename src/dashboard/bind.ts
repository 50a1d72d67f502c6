/**
 * Where the dashboard may listen. It shows prompts, model output and file
 * contents and has no login, so it binds loopback unless the caller says
 * otherwise explicitly; binding errors become one clear sentence.
 */
import type http from 'node:http';
import net from 'node:net';
import { AppError } from '../../contracts/errors.js';
import os from 'node:os';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8765;

export type DashboardErrorCode = 'not_loopback' | 'port_in_use' | 'listen_failed';

export class DashboardError extends AppError {
  readonly category = 'usage';
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  // IPv4-mapped IPv6 loopback, e.g. ::ffff:127.0.0.1
  return /^::ffff:127\./.test(h);
}

export function checkHost(host: string, allowRemote: boolean): void {
  if (isLoopback(host) || allowRemote) return;
  throw new DashboardError(
    'not_loopback',
    `refusing to serve the dashboard on ${host}: it shows prompts and model output to anyone who can reach it, with no login. ` +
      `Pass --host ${host} explicitly to allow it.`,
  );
}

/** Listens, or explains in one sentence why not. Resolves with the bound port (useful with port 0). */
export function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE') {
        reject(new DashboardError('port_in_use', `port ${port} on ${host} is already in use: pick another with --port N (--port 0 takes any free port)`));
      } else if (err.code === 'EACCES') {
        reject(new DashboardError('listen_failed', `not allowed to listen on ${where} (ports below 1024 need privileges): pick another with --port N`));
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(new DashboardError('listen_failed', `cannot listen on ${where}: this machine has no such address`));
      } else {
        reject(new DashboardError('listen_failed', `cannot listen on ${where}: ${err.message}`));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The URL to print: a wildcard bind is reached through loopback on this machine. */
export function urlFor(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? DEFAULT_HOST : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}

/**
 * Host header check against DNS rebinding: a page on evil.example that
 * resolves to the dashboard's address must not read it. A loopback bind
 * accepts loopback names; a bind to a named address accepts that address
 * only; a wildcard bind (0.0.0.0, ::) accepts loopback names, this machine's
 * hostname and its interface addresses.
 */
export function hostAllowed(header: string | undefined, bindHost: string, port: number): boolean {
  if (!header) return false;
  const h = header.toLowerCase();
  const withPort = (name: string) => (name.includes(':') ? `[${name.replace(/^\[|\]$/g, '')}]:${port}` : `${name}:${port}`);
  const loopback = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (isLoopback(bindHost)) return new Set([...loopback, withPort(bindHost.toLowerCase())]).has(h);
  if (bindHost === '0.0.0.0' || bindHost === '::') {
    const own = [os.hostname(), ...Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))];
    return new Set([...loopback, ...own.map((n) => withPort(n.toLowerCase()))]).has(h);
  }
  return h === withPort(bindHost.toLowerCase());
}

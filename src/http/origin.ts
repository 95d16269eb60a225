/**
 * DNS-rebinding protection: the Host header must name this server (the listen host, or
 * localhost/127.0.0.1/[::1], with the port), and a browser's Origin must be one of those too.
 * On a wildcard bind (0.0.0.0 / ::) any Host may be legitimate (load balancers), so only the
 * Origin is checked: it must match the request's own Host.
 */
import type { IncomingMessage } from 'node:http';
import { clip } from '../errors.js';

export interface HostPolicy {
  /** Returns a refusal reason, or undefined when the request may proceed. */
  check(req: IncomingMessage): { status: 403; reason: string } | undefined;
}

function formatHost(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function allowedHostsFor(listenHost: string, port: number): string[] {
  const hosts = new Set([listenHost, 'localhost', '127.0.0.1', '::1']);
  const out = new Set<string>();
  for (const h of hosts) {
    out.add(formatHost(h, port).toLowerCase());
    if (port === 80) out.add((h.includes(':') ? `[${h}]` : h).toLowerCase());
  }
  return [...out];
}

export function createHostPolicy(listenHost: string, port: number): HostPolicy {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '';
  const allowed = new Set(allowedHostsFor(listenHost, port));
  return {
    check(req) {
      const host = (req.headers.host ?? '').toLowerCase();
      if (!wildcard && !allowed.has(host)) {
        return { status: 403, reason: `Host "${clip(host, 100)}" is not this server; connect via ${[...allowed][0]}` };
      }
      const origin = req.headers.origin;
      if (origin === undefined) return undefined;
      let originHost: string;
      try {
        const url = new URL(origin);
        const defaultPort = url.protocol === 'https:' ? 443 : 80;
        originHost = `${url.hostname}:${url.port || defaultPort}`.toLowerCase();
      } catch {
        return { status: 403, reason: 'Origin header is not a URL' };
      }
      const requestHost = /:\d+$/.test(host) ? host : `${host}:80`;
      const okOrigin = wildcard ? originHost === requestHost : allowed.has(originHost);
      return okOrigin ? undefined : { status: 403, reason: 'cross-origin requests are not allowed' };
    },
  };
}

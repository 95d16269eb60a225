/** k8s.io/apiserver v0.34.4 pkg/cel/library urls.go over a port of Go 1.26's net/url. */
import { celFunc, celMap, celMethod, isCelMap, type CelFunc, type CelMap, type CelValue } from '@bufbuild/cel';
import { ANY_MAP, BOOL, STRING } from './common.js';
import { parseIpv4, parseIpv6 } from './net.js';

// ---- urls.go (Go's net/url ParseRequestURI, Parse and URL getters, Go 1.26 net/url/url.go) ----

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'query' | 'fragment';

/** net/url shouldEscape (gen_encoding_table.go), for one byte. */
function shouldEscape(c: number, mode: Mode): boolean {
  const ch = String.fromCharCode(c);
  if (/[a-zA-Z0-9]/.test(ch)) return false;
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path':
        return ch === '?';
      case 'userPassword':
        return '@/?:'.includes(ch);
      case 'query':
        return true;
      case 'fragment':
        return false;
      default:
        break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** net/url unescape: the Go error texts for a bad escape or a bad host character. */
function urlUnescape(s: string, mode: Mode): string {
  const bytes = Buffer.from(s, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length;) {
    const c = bytes[i]!;
    if (c === 0x25) {
      const a = String.fromCharCode(bytes[i + 1] ?? 0);
      const b2 = String.fromCharCode(bytes[i + 2] ?? 0);
      if (i + 2 >= bytes.length || !isHex(a) || !isHex(b2)) {
        throw new Error(`invalid URL escape ${JSON.stringify(bytes.subarray(i, i + 3).toString('utf8'))}`);
      }
      const v = parseInt(a + b2, 16);
      const escapeText = bytes.subarray(i, i + 3).toString('utf8');
      if (mode === 'host' && v >> 4 < 8 && parseInt(a, 16) < 8 && escapeText !== '%25')
        throw new Error(`invalid URL escape ${JSON.stringify(escapeText)}`);
      if (mode === 'zone' && escapeText !== '%25' && v !== 0x20 && shouldEscape(v, 'host'))
        throw new Error(`invalid URL escape ${JSON.stringify(escapeText)}`);
      out.push(v);
      i += 3;
      continue;
    }
    if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
      throw new Error(`invalid character ${JSON.stringify(String.fromCharCode(c))} in host name`);
    }
    out.push(c === 0x2b && mode === 'query' ? 0x20 : c);
    i++;
  }
  return Buffer.from(out).toString('utf8');
}

function urlEscape(s: string, mode: Mode): string {
  let out = '';
  for (const c of Buffer.from(s, 'utf8')) {
    if (!shouldEscape(c, mode)) out += String.fromCharCode(c);
    else if (c === 0x20 && mode === 'query') out += '+';
    else out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function validEncodedPath(s: string): boolean {
  for (const c of Buffer.from(s, 'utf8')) {
    if (`!$&'()*+,;=:@[]%`.includes(String.fromCharCode(c))) continue;
    if (shouldEscape(c, 'path')) return false;
  }
  return true;
}

const validOptionalPort = (port: string): boolean => port === '' || /^:[0-9]*$/.test(port);

interface ParsedUrl {
  scheme: string;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new Error('invalid IP-literal');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
    const unescapedPort = urlUnescape(colonPort, 'host');
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf('%25');
    const unescapedHostname =
      zone >= 0 ? urlUnescape(hostname.slice(0, zone), 'host') + urlUnescape(hostname.slice(zone), 'zone') : urlUnescape(hostname, 'host');
    const addr = unescapedHostname.split('%')[0]!;
    const parsed = parseIpv4(addr) ? 4 : addr.includes(':') && parseIpv6(addr) ? 6 : 0;
    if (parsed === 0) throw new Error(`invalid host: ParseAddr(${JSON.stringify(unescapedHostname)}): unable to parse IP`);
    if (parsed === 4) throw new Error('invalid IP-literal');
    return `[${unescapedHostname}]${unescapedPort}`;
  }
  const first = host.indexOf(':');
  if (first !== -1) {
    // Go 1.26's urlstrictcolons: http(s) keeps the first colon; other schemes take the last one.
    const i = host.lastIndexOf(':') !== first && scheme !== 'http' && scheme !== 'https' ? host.lastIndexOf(':') : first;
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
  }
  return urlUnescape(host, 'host');
}

/** net/url parse(rawURL, viaRequest), without the fragment. */
function parseUrl(raw: string, viaRequest: boolean): ParsedUrl {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new Error('net/url: invalid control character in URL');
  if (raw === '' && viaRequest) throw new Error('empty url');
  const url: ParsedUrl = { scheme: '', host: '', path: '', rawPath: '', rawQuery: '' };
  if (raw === '*') return { ...url, path: '*' };
  let rest = raw;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+\-.]*):/.exec(raw);
  if (raw.startsWith(':')) throw new Error('missing protocol scheme');
  if (scheme) {
    url.scheme = scheme[1]!.toLowerCase();
    rest = raw.slice(scheme[0].length);
  }
  if (rest.endsWith('?') && rest.split('?').length === 2) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf('?');
    if (q >= 0) [rest, url.rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') return url; // opaque
    if (viaRequest) throw new Error('invalid URI for request');
    if (rest.split('/')[0]!.includes(':')) throw new Error('first path segment in URL cannot contain colon');
  }
  if ((url.scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
    const at = authority.lastIndexOf('@');
    url.host = parseHost(url.scheme, authority.slice(at + 1));
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!/^[a-zA-Z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new Error('net/url: invalid userinfo');
      for (const part of userinfo.split(':').slice(0, 2)) urlUnescape(part, 'userPassword');
    }
  }
  url.path = urlUnescape(rest, 'path');
  url.rawPath = urlEscape(url.path, 'path') === rest ? '' : rest;
  return url;
}

const URLS = new WeakMap<CelMap, ParsedUrl>();

function urlOf(v: CelValue): ParsedUrl {
  const found = isCelMap(v) ? URLS.get(v) : undefined;
  if (!found) throw new Error('no such overload');
  return found;
}

export function parseRequestUri(text: string): string | undefined {
  try {
    parseUrl(text, true);
    return undefined;
  } catch (err) {
    return `parse ${JSON.stringify(text)}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function splitHostPort(hostPort: string): { host: string; port: string } {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(host.slice(colon))) [host, port] = [host.slice(0, colon), host.slice(colon + 1)];
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

const urlGetter = (name: string, get: (u: ParsedUrl) => string): CelFunc =>
  celMethod(name, ANY_MAP, [], STRING, function () {
    return get(urlOf(this));
  });

export const urlLibrary: CelFunc[] = [
  celFunc('url', [STRING], ANY_MAP, (text) => {
    const invalid = parseRequestUri(text);
    if (invalid !== undefined) throw new Error(`URL parse error during conversion from string: ${invalid}`);
    // Parsed again as Parse does, the fragment cut off (urls.go stringToUrl).
    const hash = text.indexOf('#');
    const parsed = parseUrl(hash >= 0 ? text.slice(0, hash) : text, false);
    const out = celMap(new Map([['url', text]]));
    URLS.set(out, parsed);
    return out;
  }),
  celFunc('isURL', [STRING], BOOL, (text) => parseRequestUri(text) === undefined),
  urlGetter('getScheme', (u) => u.scheme),
  urlGetter('getHost', (u) => u.host),
  urlGetter('getHostname', (u) => splitHostPort(u.host).host),
  urlGetter('getPort', (u) => splitHostPort(u.host).port),
  urlGetter('getEscapedPath', (u) => {
    if (u.rawPath !== '' && validEncodedPath(u.rawPath)) {
      try {
        if (urlUnescape(u.rawPath, 'path') === u.path) return u.rawPath;
      } catch {
        // not a valid encoding: escape the path
      }
    }
    return u.path === '*' ? '*' : urlEscape(u.path, 'path');
  }),
  celMethod('getQuery', ANY_MAP, [], ANY_MAP, function () {
    const query = new Map<string, string[]>();
    for (const pair of urlOf(this).rawQuery.split('&')) {
      if (pair === '' || pair.includes(';')) continue;
      const eq = pair.indexOf('=');
      try {
        const key = urlUnescape(eq >= 0 ? pair.slice(0, eq) : pair, 'query');
        const value = urlUnescape(eq >= 0 ? pair.slice(eq + 1) : '', 'query');
        query.set(key, [...(query.get(key) ?? []), value]);
      } catch {
        // Query() drops a pair it cannot unescape
      }
    }
    return celMap(query);
  }),
];

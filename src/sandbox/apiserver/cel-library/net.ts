/** k8s.io/apiserver v0.34.4 pkg/cel/library ip.go and cidr.go over Go's net/netip. */
import { celFunc, celMap, celMethod, isCelMap, type CelFunc, type CelMap, type CelValue } from '@bufbuild/cel';
import { ANY_MAP, BOOL, INT, STRING } from './common.js';

// ---- ip.go (Go's net/netip ParseAddr and Addr methods) ----

interface Ip {
  family: 4 | 6;
  /** 4 or 16 bytes. */
  bytes: number[];
}

const IPS = new WeakMap<CelMap, Ip>();

export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

export function parseIpv6(text: string): number[] | undefined {
  let head = text;
  let v4: number[] | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...left, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (v4) bytes.splice(12, 4, ...v4);
  return bytes;
}

function parseIp(text: string): Ip | string {
  if (text.includes('%')) {
    const parsed = parseIpv6(text.slice(0, text.indexOf('%')));
    if (parsed) return `IP address ${JSON.stringify(text)} with zone value is not allowed`;
  }
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  if (!v6)
    return `IP Address ${JSON.stringify(text)} parse error during conversion from string: ParseAddr(${JSON.stringify(text)}): unable to parse IP`;
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff)
    return `IPv4-mapped IPv6 address ${JSON.stringify(text)} is not allowed`;
  return { family: 6, bytes: v6 };
}

/** netip.Addr.String: dotted decimal, or RFC 5952 (the longest run of two or more zero groups as `::`, the first). */
export function ipString(ip: Ip): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

function ipValue(ip: Ip): CelMap {
  const out = celMap(new Map([['ip', ipString(ip)]]));
  IPS.set(out, ip);
  return out;
}

function ipOf(v: CelValue): Ip {
  const found = isCelMap(v) ? IPS.get(v) : undefined;
  if (!found) throw new Error('no such overload');
  return found;
}

const b = (ip: Ip, i: number): number => ip.bytes[i]!;
const isUnspecified = (ip: Ip): boolean => ip.bytes.every((x) => x === 0);
const isLoopback = (ip: Ip): boolean =>
  ip.family === 4 ? b(ip, 0) === 127 : ip.bytes.slice(0, 15).every((x) => x === 0) && b(ip, 15) === 1;
const isMulticast = (ip: Ip): boolean => (ip.family === 4 ? (b(ip, 0) & 0xf0) === 0xe0 : b(ip, 0) === 0xff);
const isLinkLocalUnicast = (ip: Ip): boolean =>
  ip.family === 4 ? b(ip, 0) === 169 && b(ip, 1) === 254 : b(ip, 0) === 0xfe && (b(ip, 1) & 0xc0) === 0x80;
const isLinkLocalMulticast = (ip: Ip): boolean =>
  ip.family === 4 ? b(ip, 0) === 224 && b(ip, 1) === 0 && b(ip, 2) === 0 : b(ip, 0) === 0xff && (b(ip, 1) & 0x0f) === 0x02;
const isGlobalUnicast = (ip: Ip): boolean =>
  !(ip.family === 4 && ip.bytes.every((x) => x === 255)) &&
  !isUnspecified(ip) &&
  !isLoopback(ip) &&
  !isMulticast(ip) &&
  !isLinkLocalUnicast(ip);

const ipMethod = (name: string, test: (ip: Ip) => boolean): CelFunc =>
  celMethod(name, ANY_MAP, [], BOOL, function () {
    return test(ipOf(this));
  });

/** `ip.isCanonical(s)`: the address printed back is the text (ip.go ipIsCanonical). */
export const ipCanonical: CelFunc[] = [
  celFunc('ip.isCanonical', [STRING], BOOL, (text) => {
    const parsed = parseIp(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    return ipString(parsed) === text;
  }),
];

export const ipLibrary: CelFunc[] = [
  celFunc('ip', [STRING], ANY_MAP, (text) => {
    const parsed = parseIp(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    return ipValue(parsed);
  }),
  celFunc('isIP', [STRING], BOOL, (text) => typeof parseIp(text) !== 'string'),
  celMethod('family', ANY_MAP, [], INT, function () {
    return BigInt(ipOf(this).family);
  }),
  ipMethod('isUnspecified', isUnspecified),
  ipMethod('isLoopback', isLoopback),
  ipMethod('isLinkLocalMulticast', isLinkLocalMulticast),
  ipMethod('isLinkLocalUnicast', isLinkLocalUnicast),
  ipMethod('isGlobalUnicast', isGlobalUnicast),
  celFunc('string', [ANY_MAP], STRING, (v) => {
    const cidr = isCelMap(v) ? CIDRS.get(v) : undefined;
    return cidr ? `${ipString(cidr.ip)}/${cidr.bits}` : ipString(ipOf(v));
  }),
];

// ---- cidr.go (Go's netip.ParsePrefix and Prefix methods) ----

interface Cidr {
  ip: Ip;
  bits: number;
}

const CIDRS = new WeakMap<CelMap, Cidr>();

function parseCidr(text: string): Cidr | string {
  const wrap = (msg: string): string =>
    `network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(text)}): ${msg}`;
  const slash = text.lastIndexOf('/');
  if (slash < 0) return wrap("no '/'");
  const addr = text.slice(0, slash);
  if (addr.includes('%')) return wrap(addr.includes(':') ? 'IPv6 zones cannot be present in a prefix' : 'unable to parse IP');
  const parsedIp = parseIp(addr);
  if (typeof parsedIp === 'string') {
    return parsedIp.startsWith('IPv4-mapped')
      ? `network address parse error during conversion from string: IPv4-mapped IPv6 address ${JSON.stringify(text)} is not allowed`
      : wrap(`ParseAddr(${JSON.stringify(addr)}): unable to parse IP`);
  }
  const bitsText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText)) return wrap(`bad bits after slash: ${JSON.stringify(bitsText)}`);
  const bits = Number(bitsText);
  if (bits > (parsedIp.family === 4 ? 32 : 128)) return wrap('prefix length out of range');
  return { ip: parsedIp, bits };
}

function maskBytes(bytes: number[], bits: number): number[] {
  return bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

function cidrValue(cidr: Cidr): CelMap {
  const out = celMap(new Map([['cidr', `${ipString(cidr.ip)}/${cidr.bits}`]]));
  CIDRS.set(out, cidr);
  return out;
}

function cidrOf(v: CelValue): Cidr {
  const found = isCelMap(v) ? CIDRS.get(v) : undefined;
  if (!found) throw new Error('no such overload');
  return found;
}

function cidrFromText(text: string): Cidr {
  const parsed = parseCidr(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function ipFromText(text: string): Ip {
  const parsed = parseIp(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

/** Prefix.Contains: the same family and the same leading bits. */
function contains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.ip.family !== ip.family) return false;
  const a = maskBytes(cidr.ip.bytes, cidr.bits);
  const b2 = maskBytes(ip.bytes, cidr.bits);
  return a.every((x, i) => x === b2[i]);
}

export const cidrLibrary: CelFunc[] = [
  celFunc('cidr', [STRING], ANY_MAP, (text) => cidrValue(cidrFromText(text))),
  celFunc('isCIDR', [STRING], BOOL, (text) => typeof parseCidr(text) !== 'string'),
  celMethod('containsIP', ANY_MAP, [STRING], BOOL, function (text) {
    return contains(cidrOf(this), ipFromText(text));
  }),
  celMethod('containsIP', ANY_MAP, [ANY_MAP], BOOL, function (ip) {
    return contains(cidrOf(this), ipOf(ip));
  }),
  // Overlaps and no longer prefix (cidr.go cidrContainsCIDR).
  celMethod('containsCIDR', ANY_MAP, [STRING], BOOL, function (text) {
    const inner = cidrFromText(text);
    const outer = cidrOf(this);
    return outer.bits <= inner.bits && contains(outer, inner.ip);
  }),
  celMethod('containsCIDR', ANY_MAP, [ANY_MAP], BOOL, function (other) {
    const inner = cidrOf(other);
    const outer = cidrOf(this);
    return outer.bits <= inner.bits && contains(outer, inner.ip);
  }),
  celMethod('ip', ANY_MAP, [], ANY_MAP, function () {
    return ipValue(cidrOf(this).ip);
  }),
  celMethod('prefixLength', ANY_MAP, [], INT, function () {
    return BigInt(cidrOf(this).bits);
  }),
  celMethod('masked', ANY_MAP, [], ANY_MAP, function () {
    const cidr = cidrOf(this);
    return cidrValue({ ip: { family: cidr.ip.family, bytes: maskBytes(cidr.ip.bytes, cidr.bits) }, bits: cidr.bits });
  }),
];

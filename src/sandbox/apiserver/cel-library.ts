/**
 * Part of the Kubernetes CEL library (k8s.io/apiserver v0.34.4 pkg/cel/library) that kube-apiserver offers CRD rules,
 * for the sandbox's CEL environment (./cel.ts): lists.go (isSorted, sum, min, max, indexOf, lastIndexOf), regex.go
 * (find, findAll), quantity.go (quantity, isQuantity and the Quantity methods), ip.go (ip, isIP, ip.isCanonical and
 * the IP methods, string(ip)), cidr.go (cidr, isCIDR and the CIDR methods, string(cidr)), format.go (every named format), and cel-go's optional
 * values (hasValue, value, orValue, optional.of, optional.none). kube-apiserver type-checks rules when the CRD is written, so these are called only the
 * ways its checker allows; they check no types beyond what the evaluation needs.
 * urls.go (url, isURL and the getters) over a port of Go's net/url parsing.
 * semverlib.go (semver, isSemver, major/minor/patch, compare) and cel-go's ext.Sets.
 * Not here (docs/sandbox.md): the `?.` syntax and the macros the parser does not know (two-variable comprehensions,
 * transformList/transformMap).
 * Quantities and IP addresses have no CEL type in @bufbuild/cel: each is a map tagged in a WeakMap, compared by
 * `==` as kube compares them (by value: a Quantity's amount, an address).
 */
import {
  celFunc,
  celMap,
  celMethod,
  CelScalar,
  isCelList,
  isCelMap,
  listType,
  mapType,
  type CelFunc,
  type CelInput,
  type CelMap,
  type CelValue,
} from '@bufbuild/cel';

/** The standard library's operators, for comparisons and sums over any comparable element type. */
export interface StdOps {
  less(l: CelValue, r: CelValue): boolean;
  add(l: CelValue, r: CelValue): CelValue;
  equals(l: CelValue, r: CelValue): boolean;
}

const ANY_LIST = listType(CelScalar.DYN);
const ANY_MAP = mapType(CelScalar.DYN, CelScalar.DYN);
const DYN = CelScalar.DYN;
const STRING = CelScalar.STRING;
const BOOL = CelScalar.BOOL;
const INT = CelScalar.INT;

// ---- optional values (cel-go's optional library: hasValue, value, orValue, optional.of/none) ----

/**
 * An optional value: `oldSelf` of a rule with `optionalOldSelf: true` (empty on CREATE: apiextensions-apiserver
 * schema/cel/validation.go:399-418, :764), and what `format.<name>().validate()` answers. @bufbuild/cel has no
 * optional type: it is a map the methods below know. The `?.`/`[?]` syntax is not parsed.
 */
const OPTIONALS = new WeakMap<CelMap, { value?: CelValue }>();

export function optionalOf(value: CelInput | undefined): CelMap {
  const out = celMap(new Map());
  OPTIONALS.set(out, value === undefined ? {} : { value: value as CelValue });
  return out;
}

function optional(self: CelValue): { value?: CelValue } {
  const found = isCelMap(self) ? OPTIONALS.get(self) : undefined;
  if (!found) throw new Error('no such overload');
  return found;
}

const optionalLibrary: CelFunc[] = [
  celMethod('hasValue', ANY_MAP, [], BOOL, function () {
    return 'value' in optional(this);
  }),
  celMethod('value', ANY_MAP, [], DYN, function () {
    const found = optional(this);
    if (!('value' in found)) throw new Error('optional.none() dereference');
    return found.value!;
  }),
  celMethod('orValue', ANY_MAP, [DYN], DYN, function (fallback) {
    const found = optional(this);
    return 'value' in found ? found.value! : fallback;
  }),
  celFunc('optional.of', [DYN], ANY_MAP, (v) => optionalOf(v)),
  celFunc('optional.none', [], ANY_MAP, () => optionalOf(undefined)),
];

// ---- lists.go ----

function listsLibrary(ops: StdOps): CelFunc[] {
  const items = (l: CelValue): CelValue[] => (isCelList(l) ? [...l] : []);
  const pick = (name: string, better: (a: CelValue, b: CelValue) => boolean) =>
    function (this: CelValue): CelValue {
      const all = items(this);
      if (all.length === 0) throw new Error(`${name} called on empty list`);
      return all.reduce((best, next) => (better(next, best) ? next : best));
    };
  return [
    celMethod('isSorted', ANY_LIST, [], BOOL, function () {
      const all = items(this);
      return all.every((v, i) => i === 0 || !ops.less(v, all[i - 1]!));
    }),
    // The zero of an empty list is the element type's; untyped here, an int (lists.go zeroValuesOfSummableTypes).
    celMethod('sum', ANY_LIST, [], DYN, function () {
      return items(this).reduce<CelValue>((acc, v) => ops.add(acc, v), 0n);
    }),
    celMethod(
      'min',
      ANY_LIST,
      [],
      DYN,
      pick('min', (a, b) => ops.less(a, b)),
    ),
    celMethod(
      'max',
      ANY_LIST,
      [],
      DYN,
      pick('max', (a, b) => ops.less(b, a)),
    ),
    celMethod('indexOf', ANY_LIST, [DYN], INT, function (x) {
      return BigInt(items(this).findIndex((v) => ops.equals(v, x)));
    }),
    celMethod('lastIndexOf', ANY_LIST, [DYN], INT, function (x) {
      return BigInt(items(this).findLastIndex((v) => ops.equals(v, x)));
    }),
  ];
}

// ---- regex.go ----

function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'gu');
  } catch (err) {
    throw new Error(`Illegal regex: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const regexLibrary: CelFunc[] = [
  celMethod('find', STRING, [STRING], STRING, function (pattern) {
    return compile(pattern).exec(this)?.[0] ?? '';
  }),
  celMethod('findAll', STRING, [STRING], listType(STRING), function (pattern) {
    return [...this.matchAll(compile(pattern))].map((m) => m[0]);
  }),
  celMethod('findAll', STRING, [STRING, INT], listType(STRING), function (pattern, n) {
    const all = [...this.matchAll(compile(pattern))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  }),
];

// ---- quantity.go (k8s.io/apimachinery pkg/api/resource/quantity.go ParseQuantity) ----

const QUANTITY_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const QUANTITIES = new WeakMap<CelMap, bigint>();
const NANO = 1_000_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The amount in nano units (rounded away from zero past nano precision, as ParseQuantity rounds up), or an error text. */
export function parseQuantity(text: string): bigint | string {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)([-+]?[0-9]*)$/.exec(text);
  if (text === '' || !m) return QUANTITY_FORMAT;
  // Empty digits ("+", ".", "Ki") are a zero to Go's parser (parseQuantityString gives num "0").
  const [, sign, whole = '', fraction = '', letters = '', exponentDigits = ''] = m;
  const suffix = letters + exponentDigits;
  let scale10 = 0;
  let scale2 = 0;
  if (suffix in BINARY) scale2 = BINARY[suffix]!;
  else if (suffix in DECIMAL) scale10 = DECIMAL[suffix]!;
  else if (/^[eE][-+]?[0-9]+$/.test(suffix)) scale10 = Number(suffix.slice(1));
  else return "unable to parse quantity's suffix";
  // value = (whole.fraction) × 10^scale10 × 2^scale2, in nanos.
  let numerator = BigInt((whole || '0') + fraction) * 2n ** BigInt(scale2);
  let exponent = scale10 - fraction.length + 9;
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else {
    const divisor = 10n ** BigInt(-exponent);
    numerator = numerator / divisor + (numerator % divisor === 0n ? 0n : 1n);
    exponent = 0;
  }
  // A binary-SI amount is capped at 2^63-1 (ParseQuantity maxAllowed).
  if (scale2 > 0 && numerator > INT64_MAX * NANO) numerator = INT64_MAX * NANO;
  return sign === '-' ? -numerator : numerator;
}

function quantityValue(nanos: bigint): CelMap {
  const out = celMap(new Map([['quantity', nanos]]));
  QUANTITIES.set(out, nanos);
  return out;
}

function nanosOf(q: CelValue): bigint {
  const found = isCelMap(q) ? QUANTITIES.get(q) : undefined;
  if (found === undefined) throw new Error('no such overload');
  return found;
}

const cmp = (a: bigint, b: bigint): bigint => (a < b ? -1n : a > b ? 1n : 0n);

const quantityLibrary: CelFunc[] = [
  celFunc('quantity', [STRING], ANY_MAP, (text) => {
    const parsed = parseQuantity(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    return quantityValue(parsed);
  }),
  celFunc('isQuantity', [STRING], BOOL, (text) => typeof parseQuantity(text) === 'bigint'),
  celFunc('sign', [ANY_MAP], INT, (q) => cmp(nanosOf(q), 0n)),
  celMethod('sign', ANY_MAP, [], INT, function () {
    return cmp(nanosOf(this), 0n);
  }),
  celMethod('isGreaterThan', ANY_MAP, [ANY_MAP], BOOL, function (o) {
    return ordered(this, o) > 0;
  }),
  celMethod('isLessThan', ANY_MAP, [ANY_MAP], BOOL, function (o) {
    return ordered(this, o) < 0;
  }),
  celMethod('compareTo', ANY_MAP, [ANY_MAP], INT, function (o) {
    return BigInt(ordered(this, o));
  }),
  celMethod('asApproximateFloat', ANY_MAP, [], CelScalar.DOUBLE, function () {
    return Number(nanosOf(this)) / 1e9;
  }),
  celMethod('isInteger', ANY_MAP, [], BOOL, function () {
    const n = nanosOf(this);
    return n % NANO === 0n && n / NANO <= INT64_MAX && n / NANO >= INT64_MIN;
  }),
  celMethod('asInteger', ANY_MAP, [], INT, function () {
    const n = nanosOf(this);
    if (n % NANO !== 0n || n / NANO > INT64_MAX || n / NANO < INT64_MIN) throw new Error('cannot convert value to integer');
    return n / NANO;
  }),
  celMethod('add', ANY_MAP, [ANY_MAP], ANY_MAP, function (o) {
    return quantityValue(nanosOf(this) + nanosOf(o));
  }),
  celMethod('add', ANY_MAP, [INT], ANY_MAP, function (o) {
    return quantityValue(nanosOf(this) + o * NANO);
  }),
  celMethod('sub', ANY_MAP, [ANY_MAP], ANY_MAP, function (o) {
    return quantityValue(nanosOf(this) - nanosOf(o));
  }),
  celMethod('sub', ANY_MAP, [INT], ANY_MAP, function (o) {
    return quantityValue(nanosOf(this) - o * NANO);
  }),
];

// ---- ip.go (Go's net/netip ParseAddr and Addr methods) ----

interface Ip {
  family: 4 | 6;
  /** 4 or 16 bytes. */
  bytes: number[];
}

const IPS = new WeakMap<CelMap, Ip>();

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

function parseIpv6(text: string): number[] | undefined {
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
const ipCanonical: CelFunc[] = [
  celFunc('ip.isCanonical', [STRING], BOOL, (text) => {
    const parsed = parseIp(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    return ipString(parsed) === text;
  }),
];

const ipLibrary: CelFunc[] = [
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

const cidrLibrary: CelFunc[] = [
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

// ---- format.go (the named formats whose checks are k8s.io/apimachinery validation functions) ----

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const matches = (fmt: string, v: string): boolean => new RegExp(`^${fmt}$`).test(v);

/** apimachinery pkg/util/validation/validation.go RegexError and MaxLenError. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}
const maxLenError = (n: number): string => `must be no more than ${n} characters`;
const byteLength = (v: string): number => Buffer.byteLength(v, 'utf8');

function dns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 63) errs.push(maxLenError(63));
  if (!matches(DNS1123_LABEL, v)) {
    errs.push(
      matches(DNS1123_SUBDOMAIN, v)
        ? 'must not contain dots'
        : regexError(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            DNS1123_LABEL,
            'my-name',
            '123-abc',
          ),
    );
  }
  return errs;
}

function dns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 253) errs.push(maxLenError(253));
  if (!matches(DNS1123_SUBDOMAIN, v))
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN,
        'example.com',
      ),
    );
  return errs;
}

function dns1035Label(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 63) errs.push(maxLenError(63));
  if (!matches(DNS1035_LABEL, v))
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
}

function qualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  if (parts.length > 2)
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!matches(QUALIFIED_NAME, name))
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

function labelValue(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 63) errs.push(maxLenError(63));
  if (!matches(`(${QUALIFIED_NAME})?`, v))
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        `(${QUALIFIED_NAME})?`,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return errs;
}

/** apimachinery pkg/api/validation/generic.go maskTrailingDash (it drops two characters: copied as it is). */
const maskTrailingDash = (v: string): string => (v.length > 1 && v.endsWith('-') ? `${v.slice(0, -2)}a` : v);

const FORMATS: Record<string, (v: string) => string[]> = {
  dns1123Label,
  dns1123Subdomain,
  dns1035Label,
  qualifiedName,
  dns1123LabelPrefix: (v) => dns1123Label(maskTrailingDash(v)),
  dns1123SubdomainPrefix: (v) => dns1123Subdomain(maskTrailingDash(v)),
  dns1035LabelPrefix: (v) => dns1035Label(maskTrailingDash(v)),
  labelValue,
  uuid: (v) => (/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v) ? [] : ['does not match the UUID format']),
  uri: (v) => {
    const invalid = parseRequestUri(v);
    return invalid === undefined ? [] : [invalid];
  },
  byte: (v) => (BASE64.test(v) ? [] : ['invalid base64']),
  date: (v) => (isDate(v) ? [] : ['invalid date']),
  datetime: (v) => (isDateTime(v) ? [] : ['invalid datetime']),
};

/** kube-openapi strfmt "byte" (govalidator patterns.go Base64); "date" is time.Parse("2006-01-02") (date.go IsDate). */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/** kube-openapi strfmt IsDateTime (time.go:31-47): a date, a `t`, and HH:MM:SS[.frac](z|±HH:MM), compared as text. */
export function isDateTime(v: string): boolean {
  if (v.length < 4) return false;
  const parts = v.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0]!)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(parts[1]!);
  return m !== null && m[1]! <= '23' && m[2]! <= '59' && m[3]! <= '59';
}

export function isDate(v: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1]!;
}

const FORMAT_VALUES = new WeakMap<CelMap, (v: string) => string[]>();

function formatValue(name: string): CelMap {
  const out = celMap(new Map([['format', name]]));
  FORMAT_VALUES.set(out, FORMATS[name]!);
  return out;
}

const formatLibrary: CelFunc[] = [
  ...Object.keys(FORMATS).map((name) => celFunc(`format.${name}`, [], ANY_MAP, () => formatValue(name))),
  celFunc('format.named', [STRING], ANY_MAP, (name) => {
    if (!(name in FORMATS)) {
      return optionalOf(undefined);
    }
    return optionalOf(formatValue(name));
  }),
  celMethod('validate', ANY_MAP, [STRING], ANY_MAP, function (v) {
    const check = isCelMap(this) ? FORMAT_VALUES.get(this) : undefined;
    if (!check) throw new Error('no such overload');
    const errs = check(v);
    return optionalOf(errs.length === 0 ? undefined : errs);
  }),
];

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

function parseRequestUri(text: string): string | undefined {
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

const urlLibrary: CelFunc[] = [
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

// ---- semverlib.go (github.com/blang/semver/v4 Parse and Compare) ----

interface Semver {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string[];
}

const SEMVERS = new WeakMap<CelMap, Semver>();
const UINT64_MAX = 2n ** 64n - 1n;

function semverNumber(part: string, what: string): bigint {
  if (part === '' || !/^[0-9]+$/.test(part)) throw new Error(`Invalid character(s) found in ${what} number ${JSON.stringify(part)}`);
  if (part.length > 1 && part.startsWith('0'))
    throw new Error(`${what[0]!.toUpperCase()}${what.slice(1)} number must not contain leading zeroes ${JSON.stringify(part)}`);
  const n = BigInt(part);
  if (n > UINT64_MAX) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(part)}: value out of range`);
  return n;
}

/** blang/semver Parse (semver.go), or normalizeAndParse (semverlib.go:316-345): `v` prefix, leading zeros, short forms. */
export function parseSemver(text: string, normalize = false): Semver {
  let s = text;
  if (normalize) {
    s = s.startsWith('v') ? s.slice(1) : s;
    const parts = s.split('.');
    const head = parts.length > 3 ? [...parts.slice(0, 2), parts.slice(2).join('.')] : parts;
    const fixed = head.map((p) => {
      if (p.length <= 1) return p;
      const t = p.replace(/^0+/, '');
      return t === '' || !/^[0-9]/.test(t) ? `0${t}` : t;
    });
    if (fixed.length < 3) {
      if (/[+-]/.test(fixed[fixed.length - 1]!)) throw new Error('short version cannot contain PreRelease/Build meta data');
      while (fixed.length < 3) fixed.push('0');
    }
    s = fixed.join('.');
  }
  if (s === '') throw new Error('Version string empty');
  const parts = s.split('.');
  if (parts.length < 3) throw new Error('No Major.Minor.Patch elements found');
  const [majorText, minorText] = parts;
  let patchText = parts.slice(2).join('.');
  const major = semverNumber(majorText!, 'major');
  const minor = semverNumber(minorText!, 'minor');
  let build: string[] = [];
  let pre: string[] = [];
  const plus = patchText.indexOf('+');
  if (plus !== -1) [patchText, build] = [patchText.slice(0, plus), patchText.slice(plus + 1).split('.')];
  const dash = patchText.indexOf('-');
  if (dash !== -1) [patchText, pre] = [patchText.slice(0, dash), patchText.slice(dash + 1).split('.')];
  const patch = semverNumber(patchText, 'patch');
  for (const p of pre) {
    if (p === '') throw new Error('Prerelease is empty');
    if (/^[0-9]+$/.test(p)) {
      if (p.length > 1 && p.startsWith('0'))
        throw new Error(`Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(p)}`);
    } else if (!/^[0-9A-Za-z-]+$/.test(p)) throw new Error(`Invalid character(s) found in prerelease ${JSON.stringify(p)}`);
  }
  for (const b3 of build) {
    if (b3 === '') throw new Error('Build meta data is empty');
    if (!/^[0-9A-Za-z-]+$/.test(b3)) throw new Error(`Invalid character(s) found in build meta data ${JSON.stringify(b3)}`);
  }
  return { major, minor, patch, pre };
}

function comparePre(a: string, b: string): number {
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (an && bn) return BigInt(a) === BigInt(b) ? 0 : BigInt(a) > BigInt(b) ? 1 : -1;
  if (an) return -1;
  if (bn) return 1;
  return a === b ? 0 : a > b ? 1 : -1;
}

export function compareSemver(v: Semver, o: Semver): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (v[k] !== o[k]) return v[k] > o[k] ? 1 : -1;
  if (v.pre.length === 0 || o.pre.length === 0) return v.pre.length === o.pre.length ? 0 : v.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < v.pre.length && i < o.pre.length; i++) {
    const c = comparePre(v.pre[i]!, o.pre[i]!);
    if (c !== 0) return c;
  }
  return v.pre.length === o.pre.length ? 0 : v.pre.length > o.pre.length ? 1 : -1;
}

function semverValue(v: Semver): CelMap {
  // Compared by `==` as Compare == 0 (build metadata ignored): the map holds the compared parts only.
  const out = celMap(
    new Map<string, CelInput>([['semver', `${v.major}.${v.minor}.${v.patch}${v.pre.length ? `-${v.pre.join('.')}` : ''}`]]),
  );
  SEMVERS.set(out, v);
  return out;
}

function semverOf(v: CelValue): Semver {
  const found = isCelMap(v) ? SEMVERS.get(v) : undefined;
  if (!found) throw new Error('no such overload');
  return found;
}

const isSemverText = (text: string, normalize: boolean): boolean => {
  try {
    parseSemver(text, normalize);
    return true;
  } catch {
    return false;
  }
};

const semverLibrary: CelFunc[] = [
  celFunc('semver', [STRING], ANY_MAP, (text) => semverValue(parseSemver(text))),
  celFunc('semver', [STRING, BOOL], ANY_MAP, (text, normalize) => semverValue(parseSemver(text, normalize))),
  celFunc('isSemver', [STRING], BOOL, (text) => isSemverText(text, false)),
  celFunc('isSemver', [STRING, BOOL], BOOL, (text, normalize) => isSemverText(text, normalize)),
  celMethod('major', ANY_MAP, [], INT, function () {
    return semverOf(this).major;
  }),
  celMethod('minor', ANY_MAP, [], INT, function () {
    return semverOf(this).minor;
  }),
  celMethod('patch', ANY_MAP, [], INT, function () {
    return semverOf(this).patch;
  }),
];

/** isGreaterThan, isLessThan and compareTo: on quantities (quantity.go) and on semvers (semverlib.go). */
function ordered(a: CelValue, b: CelValue): number {
  if (isCelMap(a) && SEMVERS.has(a)) return compareSemver(semverOf(a), semverOf(b));
  return Number(cmp(nanosOf(a), nanosOf(b)));
}

// ---- cel-go ext.Sets (ext.Lists v3 is not offered to CRD rules by kube-apiserver v1.34.4: `undeclared reference`) ----

function setsLibrary(ops: StdOps): CelFunc[] {
  const items = (l: CelValue): CelValue[] => (isCelList(l) ? [...l] : []);
  const has = (list: CelValue[], v: CelValue): boolean => list.some((x) => ops.equals(x, v));
  return [
    celFunc('sets.contains', [ANY_LIST, ANY_LIST], BOOL, (a, b) => items(b).every((v) => has(items(a), v))),
    celFunc(
      'sets.equivalent',
      [ANY_LIST, ANY_LIST],
      BOOL,
      (a, b) => items(b).every((v) => has(items(a), v)) && items(a).every((v) => has(items(b), v)),
    ),
    celFunc('sets.intersects', [ANY_LIST, ANY_LIST], BOOL, (a, b) => items(b).some((v) => has(items(a), v))),
  ];
}

/** The library functions, given the standard operators they build on. */
export function kubernetesLibrary(ops: StdOps): CelFunc[] {
  return [
    ...optionalLibrary,
    ...listsLibrary(ops),
    ...regexLibrary,
    ...quantityLibrary,
    ...ipLibrary,
    ...ipCanonical,
    ...cidrLibrary,
    ...urlLibrary,
    ...semverLibrary,
    ...setsLibrary(ops),
    ...formatLibrary,
  ];
}

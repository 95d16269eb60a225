/** k8s.io/apiserver v0.34.4 pkg/cel/library semverlib.go over blang/semver v4. */
import { celFunc, celMap, celMethod, isCelMap, type CelFunc, type CelInput, type CelMap, type CelValue } from '@bufbuild/cel';
import { ANY_MAP, BOOL, INT, STRING } from './common.js';

// ---- semverlib.go (github.com/blang/semver/v4 Parse and Compare) ----

interface Semver {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string[];
}

export const SEMVERS = new WeakMap<CelMap, Semver>();
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

export function semverOf(v: CelValue): Semver {
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

export const semverLibrary: CelFunc[] = [
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

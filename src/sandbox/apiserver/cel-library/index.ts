/**
 * The Kubernetes CEL library (k8s.io/apiserver v0.34.4 pkg/cel/library) as kube-apiserver offers it to CRD rules, for
 * the sandbox's CEL environment (../cel.ts), one file per library: ./lists.ts (lists.go, regex.go, cel-go's sets),
 * ./quantity.ts, ./net.ts (ip.go, cidr.go), ./urls.ts, ./format.ts, ./semver.ts, ./optional.ts (cel-go's optional
 * values). kube-apiserver type-checks rules when the CRD is written, so these are called only the ways its checker
 * allows; they check no types beyond what the evaluation needs. Quantities, addresses, networks, URLs, formats and
 * semvers have no CEL type in @bufbuild/cel: each is a map tagged in a WeakMap, compared by `==` by value as kube does.
 * Not here (docs/sandbox.md): the `?.` syntax and the macros the parser does not know (two-variable comprehensions,
 * transformList/transformMap).
 */
import { celMethod, isCelMap, type CelFunc, type CelValue } from '@bufbuild/cel';
import { ANY_MAP, BOOL, INT, type StdOps } from './common.js';
import { formatLibrary } from './format.js';
import { listsLibrary, regexLibrary, setsLibrary } from './lists.js';
import { cidrLibrary, ipCanonical, ipLibrary } from './net.js';
import { optionalLibrary } from './optional.js';
import { cmp, nanosOf, quantityLibrary } from './quantity.js';
import { compareSemver, SEMVERS, semverLibrary, semverOf } from './semver.js';
import { urlLibrary } from './urls.js';

export { type StdOps } from './common.js';
export { BASE64, isDate, isDateTime } from './format.js';
export { ipString } from './net.js';
export { optionalOf } from './optional.js';
export { parseQuantity } from './quantity.js';
export { compareSemver, parseSemver } from './semver.js';

/** isGreaterThan, isLessThan and compareTo: on quantities (quantity.go) and on semvers (semverlib.go). */
function ordered(a: CelValue, b: CelValue): number {
  if (isCelMap(a) && SEMVERS.has(a)) return compareSemver(semverOf(a), semverOf(b));
  return Number(cmp(nanosOf(a), nanosOf(b)));
}

/** isGreaterThan, isLessThan, compareTo: one method each for quantities and semvers. */
const comparisons: CelFunc[] = [
  celMethod('isGreaterThan', ANY_MAP, [ANY_MAP], BOOL, function (o) {
    return ordered(this, o) > 0;
  }),
  celMethod('isLessThan', ANY_MAP, [ANY_MAP], BOOL, function (o) {
    return ordered(this, o) < 0;
  }),
  celMethod('compareTo', ANY_MAP, [ANY_MAP], INT, function (o) {
    return BigInt(ordered(this, o));
  }),
];

/** The library functions, given the standard operators they build on. */
export function kubernetesLibrary(ops: StdOps): CelFunc[] {
  return [
    ...optionalLibrary,
    ...listsLibrary(ops),
    ...regexLibrary,
    ...quantityLibrary,
    ...comparisons,
    ...ipLibrary,
    ...ipCanonical,
    ...cidrLibrary,
    ...urlLibrary,
    ...semverLibrary,
    ...setsLibrary(ops),
    ...formatLibrary,
  ];
}

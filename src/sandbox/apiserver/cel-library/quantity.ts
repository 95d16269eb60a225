/** k8s.io/apiserver v0.34.4 pkg/cel/library quantity.go over apimachinery's ParseQuantity. */
import { celFunc, celMap, celMethod, CelScalar, isCelMap, type CelFunc, type CelMap, type CelValue } from '@bufbuild/cel';
import { ANY_MAP, BOOL, INT, STRING } from './common.js';

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

export function nanosOf(q: CelValue): bigint {
  const found = isCelMap(q) ? QUANTITIES.get(q) : undefined;
  if (found === undefined) throw new Error('no such overload');
  return found;
}

export const cmp = (a: bigint, b: bigint): bigint => (a < b ? -1n : a > b ? 1n : 0n);

export const quantityLibrary: CelFunc[] = [
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

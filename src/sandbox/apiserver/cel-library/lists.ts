/** k8s.io/apiserver v0.34.4 pkg/cel/library lists.go and regex.go, and cel-go's ext.Sets. */
import { celFunc, celMethod, isCelList, listType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { ANY_LIST, BOOL, DYN, INT, STRING, type StdOps } from './common.js';

// ---- lists.go ----

export function listsLibrary(ops: StdOps): CelFunc[] {
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

export const regexLibrary: CelFunc[] = [
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

// ---- cel-go ext.Sets (ext.Lists v3 is not offered to CRD rules by kube-apiserver v1.34.4: `undeclared reference`) ----

export function setsLibrary(ops: StdOps): CelFunc[] {
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

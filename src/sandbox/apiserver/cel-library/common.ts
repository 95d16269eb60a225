/** What the Kubernetes CEL library's files share: the standard operators they build on, and the argument types. */
import { CelScalar, listType, mapType, type CelValue } from '@bufbuild/cel';
/** The standard library's operators, for comparisons and sums over any comparable element type. */
export interface StdOps {
  less(l: CelValue, r: CelValue): boolean;
  add(l: CelValue, r: CelValue): CelValue;
  equals(l: CelValue, r: CelValue): boolean;
}

export const ANY_LIST = listType(CelScalar.DYN);
export const ANY_MAP = mapType(CelScalar.DYN, CelScalar.DYN);
export const DYN = CelScalar.DYN;
export const STRING = CelScalar.STRING;
export const BOOL = CelScalar.BOOL;
export const INT = CelScalar.INT;

/** cel-go's optional values for the sandbox's CEL (../cel.ts). */
import { celFunc, celMap, celMethod, isCelMap, type CelFunc, type CelInput, type CelMap, type CelValue } from '@bufbuild/cel';
import { ANY_MAP, BOOL, DYN } from './common.js';

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

export const optionalLibrary: CelFunc[] = [
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

/**
 * src/sandbox/kcm/go-duration.ts against Go's own time.ParseDuration: the expected column is what go1.26.8 printed for
 * each input (a throwaway `go run` of `time.ParseDuration` over this list), nanoseconds or the error text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goParseDuration } from '../../src/sandbox/kcm/go-duration.js';

const GO: [string, string][] = [
  ['abc', 'ERR time: invalid duration "abc"'],
  ['9999999999h', 'ERR time: invalid duration "9999999999h"'],
  ['10m0s', '600000000000'],
  ['0', '0'],
  ['-0', '0'],
  ['+0', '0'],
  ['', 'ERR time: invalid duration ""'],
  ['1', 'ERR time: missing unit in duration "1"'],
  ['1x', 'ERR time: unknown unit "x" in duration "1x"'],
  ['.s', 'ERR time: invalid duration ".s"'],
  ['1.5h', '5400000000000'],
  ['2562047h47m16.854775807s', '9223372036854775807'],
  ['2562047h47m16.854775808s', 'ERR time: invalid duration "2562047h47m16.854775808s"'],
  ['-2562047h47m16.854775808s', '-9223372036854775808'],
  ['1.h', '3600000000000'],
  ['.5m', '30000000000'],
  ['1µs', '1000'],
  ['0.0000000000000000001s', '0'],
  ['1h-1m', 'ERR time: unknown unit "h-" in duration "1h-1m"'],
  ['18446744073709551616ns', 'ERR time: invalid duration "18446744073709551616ns"'],
  ['9223372036854775807ns', '9223372036854775807'],
  ['9223372036854775808ns', 'ERR time: invalid duration "9223372036854775808ns"'],
];

describe("goParseDuration: Go's time.ParseDuration", () => {
  for (const [input, expected] of GO) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      const r = goParseDuration(input);
      assert.equal('error' in r ? `ERR ${r.error}` : String(r.nanoseconds), expected);
    });
  }
});

/**
 * Go's time.ParseDuration (go1.26 `src/time/format.go:1631-1728`, leadingInt :1554-1572, leadingFraction
 * :1577-1603), which metav1.Duration's UnmarshalJSON calls when kcm's webhooks decode a template: the value
 * in nanoseconds, or Go's error text (`time: invalid duration "abc"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "x" in duration "1x"`). Unsigned 64-bit arithmetic as Go does it, in BigInt.
 */
const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX = 1n << 63n;

/** Go's time.quote for the texts a manifest holds (printable ASCII and UTF-8): `"` + s + `"`, `"` and `\` escaped. */
function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

export function goParseDuration(orig: string): { nanoseconds: bigint } | { error: string } {
  const fail = (message: string): { error: string } => ({ error: `time: ${message} ${quote(orig)}` });
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { nanoseconds: 0n };
  if (s === '') return fail('invalid duration');
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return fail('invalid duration');
    // leadingInt
    let v = 0n;
    let i = 0;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > MAX / 10n) return fail('invalid duration');
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX) return fail('invalid duration');
    }
    const pre = i > 0;
    s = s.slice(i);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      // leadingFraction: stops accumulating precision on overflow
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (MAX - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > MAX) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return fail('invalid duration');
    let k = 0;
    for (; k < s.length; k++) if (s[k] === '.' || isDigit(s[k])) break;
    if (k === 0) return fail('missing unit in duration');
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS[u];
    if (unit === undefined) return fail(`unknown unit ${quote(u)} in duration`);
    if (v > MAX / unit) return fail('invalid duration');
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX) return fail('invalid duration');
    }
    d += v;
    if (d > MAX) return fail('invalid duration');
  }
  if (neg) return { nanoseconds: -d };
  if (d > MAX - 1n) return fail('invalid duration');
  return { nanoseconds: d };
}

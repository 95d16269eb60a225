/** k8s.io/apiserver v0.34.4 pkg/cel/library format.go, and kube-openapi strfmt's byte, date and date-time checks. */
import { celFunc, celMap, celMethod, isCelMap, type CelFunc, type CelMap } from '@bufbuild/cel';
import { ANY_MAP, STRING } from './common.js';
import { optionalOf } from './optional.js';
import { parseRequestUri } from './urls.js';

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

export const formatLibrary: CelFunc[] = [
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

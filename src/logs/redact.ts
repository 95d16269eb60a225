/**
 * Credentials out of log text before any of it leaves this server: bearer tokens and Authorization
 * headers, PEM blocks (also with their newlines escaped inside a JSON line, and the part of one a read that
 * starts inside it still holds), passwords in URLs,
 * `password=`/`token:`/`"secret": "…"` style values, AWS access keys and JWTs. What is replaced is
 * counted, never echoed. Pure.
 */
const REDACTED = '[REDACTED]';

const RULES: [RegExp, (match: string, ...groups: string[]) => string][] = [
  // PEM blocks, real newlines or escaped ones (\n inside a JSON string).
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/g, () => `[REDACTED PEM]`],
  [/-----BEGIN [A-Z0-9 ]+-----[^\n"]*/g, () => `[REDACTED PEM]`],
  // A read that starts inside a block (tailLines, sinceSeconds, limitBytes): from the start up to its END line.
  [/^(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z0-9 ]+-----/g, () => `[REDACTED PEM]`],
  // A block's body lines left without either marker (64-character base64 lines, as PEM writes them).
  [/^[A-Za-z0-9+/]{64}$/gm, () => `[REDACTED PEM]`],
  // Authorization headers and bearer tokens.
  [/\b(authorization\s*[:=]\s*"?)(?:bearer|basic)?\s*[^\s",}]+/gi, (_m, head: string) => `${head}${REDACTED}`],
  [/\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, (_m, head: string) => `${head}${REDACTED}`],
  // user:password@ in URLs.
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"]+:)[^\s@/"]+@/gi, (_m, head: string) => `${head}${REDACTED}@`],
  // key=value and "key": "value" for secret-looking keys.
  [
    /((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?access[_-]?key|client[_-]?secret|private[_-]?key|credentials?)"?\s*[:=]\s*"?)([^\s",}&]+)/gi,
    (_m, head: string) => `${head}${REDACTED}`,
  ],
  // AWS access key ids, JWTs.
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, () => REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, () => REDACTED],
];

/** The text with every credential-looking value replaced, and how many were. */
export function redact(text: string): { text: string; count: number } {
  let count = 0;
  let out = text;
  for (const [pattern, replace] of RULES) {
    out = out.replace(pattern, (...args: unknown[]) => {
      const groups = args.slice(1, -2).map((g) => (typeof g === 'string' ? g : ''));
      const replaced = replace(args[0] as string, ...groups);
      if (replaced !== args[0]) count++;
      return replaced;
    });
  }
  return { text: out, count };
}

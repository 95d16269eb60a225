/** A configuration problem: rendered as ONE line naming the variable (and its flag) and the fix. */
export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.variable = variable;
  }

  /** The single line printed before exiting non-zero. */
  line(): string {
    return `k0rdent-mcp: configuration error: ${this.message}`.replace(/\s*\n\s*/g, ' ');
  }
}

/**
 * The cluster charts' `required` checks, read from the chart templates kcm ships
 * (data/k0rdent/charts/<chart>/templates/*.yaml) and evaluated against a deployment's values, as the
 * Helm dry run kcm runs for every ClusterDeployment fails them (kcm
 * internal/controller/clusterdeployment_controller.go:1260 validateConfig → internal/helm/actor.go:62
 * EnsureReleaseWithValues: a client-only `helm install --dry-run`).
 *
 * No Helm engine: a reading of the templates' actions that is faithful for what decides a `required`
 * call — the `if` / `with` / `range` blocks around it (their pipelines evaluated with Go template truth
 * and the few functions the charts use in them), the dot they bind, and the call's own value:
 *
 * - Helm's `required` fails on nil or "" only (helm v3.21.4 pkg/engine/engine.go:202-219); its message is
 *   wrapped in HELM_ERR_START/END and pulled back out by cleanupExecError (engine.go:324-343), giving
 *   `execution error at (<chart>/templates/<file>:<line>:<col>): <message>`.
 * - <line>:<col> is text/template's ErrorContext of the failing command (Go src/text/template/exec.go
 *   evalCall `s.at(node)` with the CommandNode, parse/parse.go:153 ErrorContext): 1-based line, 0-based
 *   byte column of the command's first token (`required`).
 * - Files render in Helm's order: sortTemplates (engine.go:347-370) sorts by path depth and then
 *   reverse-lexically, partials (`_*.tpl`) are not executed, and the first failing file stops the render
 *   (engine.go:290-299).
 *
 * A guard this reading cannot evaluate (a function it does not know, a variable) makes the checks under
 * it unknown: they are skipped rather than failed (docs/sandbox.md "What still differs from kcm").
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from './resources.js';

/** A value the reading cannot know (an unsupported function or variable). */
const UNKNOWN = Symbol('unknown');
type Value = JsonValue | undefined | typeof UNKNOWN;

/** One `required` call as written in a template. */
export interface RequiredCall {
  /** Template name as Helm names it: `<chart>/templates/<file>`. */
  template: string;
  line: number;
  column: number;
  message: string;
}

/** A token of an action's pipeline, with its byte offset in the file. */
interface Token {
  kind: 'field' | 'dollar' | 'variable' | 'ident' | 'string' | 'number' | 'bool' | 'nil' | 'pipe' | 'lparen' | 'rparen' | 'declare';
  text: string;
  offset: number;
}

type Operand =
  | { kind: 'field'; root: 'dot' | 'dollar'; path: string[]; offset: number }
  | { kind: 'literal'; value: JsonValue }
  | { kind: 'unknown' }
  | { kind: 'pipeline'; pipeline: Pipeline; chained?: boolean };

interface Command {
  /** Function name when the command starts with an identifier. */
  fn?: string;
  args: Operand[];
  offset: number;
}

type Pipeline = Command[];

type Node =
  | { kind: 'action'; pipeline: Pipeline }
  | { kind: 'if' | 'with'; pipeline: Pipeline; body: Node[]; elseBody: Node[] }
  | { kind: 'range'; pipeline: Pipeline; body: Node[]; elseBody: Node[] };

class TemplateReadError extends Error {}

/** An execution error as Helm reports it (already cleaned up by cleanupExecError). */
export class RenderError extends Error {}

/**
 * A nil pointer the render may or may not reach (under a guard or after an `and`/`or` operand the reading cannot
 * evaluate): which error Helm reports first cannot be told, so the reading reports none.
 */
class Undecidable extends Error {}

/** Unquotes a Go interpreted or raw string literal. */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  return JSON.parse(literal.replace(/\\'/g, "'")) as string;
}

/** Splits a file into its actions: the text between `{{` and `}}` (trim markers and comments removed). */
function actionsOf(text: string): { inner: string; offset: number }[] {
  const out: { inner: string; offset: number }[] = [];
  let i = 0;
  while (true) {
    const open = text.indexOf('{{', i);
    if (open === -1) return out;
    let start = open + 2;
    if (text[start] === '-' && /\s/.test(text[start + 1] ?? '')) start += 1;
    let j = start;
    let end = -1;
    while (j < text.length) {
      const c = text[j]!;
      if (c === '"' || c === '`' || c === "'") {
        const close = c === '`' ? text.indexOf('`', j + 1) : findQuoteEnd(text, j, c);
        if (close === -1) throw new TemplateReadError(`unterminated quote at byte ${j}`);
        j = close + 1;
        continue;
      }
      if (text.startsWith('/*', j)) {
        const close = text.indexOf('*/', j + 2);
        if (close === -1) throw new TemplateReadError(`unterminated comment at byte ${j}`);
        j = close + 2;
        continue;
      }
      if (text.startsWith('}}', j)) {
        end = j;
        break;
      }
      j++;
    }
    if (end === -1) throw new TemplateReadError(`unclosed action at byte ${open}`);
    let innerEnd = end;
    if (text[end - 1] === '-' && /\s/.test(text[end - 2] ?? '')) innerEnd = end - 1;
    const raw = text.slice(start, innerEnd);
    if (!/^\s*\/\*/.test(raw)) out.push({ inner: raw, offset: start });
    i = end + 2;
  }
}

function findQuoteEnd(text: string, from: number, quote: string): number {
  for (let k = from + 1; k < text.length; k++) {
    if (text[k] === '\\') k++;
    else if (text[k] === quote) return k;
    else if (text[k] === '\n') return -1;
  }
  return -1;
}

function tokenize(inner: string, base: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < inner.length) {
    const c = inner[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const offset = base + i;
    const single: Record<string, Token['kind']> = { '|': 'pipe', '(': 'lparen', ')': 'rparen', '=': 'declare', ',': 'declare' };
    if (inner.startsWith(':=', i)) {
      tokens.push({ kind: 'declare', text: ':', offset });
      i += 2;
      continue;
    }
    const kind = single[c];
    if (kind) {
      tokens.push({ kind, text: c, offset });
      i++;
      continue;
    }
    if (c === '"' || c === '`' || c === "'") {
      const close = c === '`' ? inner.indexOf('`', i + 1) : findQuoteEnd(inner, i, c);
      if (close === -1) throw new TemplateReadError(`unterminated quote at byte ${offset}`);
      tokens.push({ kind: 'string', text: inner.slice(i, close + 1), offset });
      i = close + 1;
    } else if (c === '.' || c === '$') {
      const match = /^(\$[\w]*|\.[\w]*)/.exec(inner.slice(i))!;
      const word = match[0];
      if (c === '$') tokens.push({ kind: word === '$' ? 'dollar' : 'variable', text: word, offset });
      else tokens.push({ kind: 'field', text: word, offset });
      i += word.length;
    } else if (/[-+\d]/.test(c)) {
      const match = /^[-+]?(0x[\da-fA-F]+|\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(inner.slice(i));
      if (!match) throw new TemplateReadError(`unexpected "${c}" at byte ${offset}`);
      tokens.push({ kind: 'number', text: match[0], offset });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[\w]+/.exec(inner.slice(i))![0];
      tokens.push({ kind: word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'ident', text: word, offset });
      i += word.length;
    } else {
      throw new TemplateReadError(`unexpected "${c}" at byte ${offset}`);
    }
  }
  return tokens;
}

/** Parses a pipeline: commands separated by `|`, parenthesised sub-pipelines as operands. */
function parsePipeline(tokens: Token[], at: { i: number }, closing: boolean): Pipeline {
  const pipeline: Pipeline = [];
  // A declaration (`$x := ...`, `$i, $v := ...`) binds variables the reading does not track.
  const rest = tokens.slice(at.i);
  const decl = rest.findIndex((t) => t.kind === 'declare' && t.text !== ',');
  if (decl > 0 && rest.slice(0, decl).every((t) => t.kind === 'variable' || t.text === ',')) at.i += decl + 1;
  let command: Command | undefined;
  while (at.i < tokens.length) {
    const token = tokens[at.i]!;
    if (token.kind === 'rparen') {
      if (!closing) throw new TemplateReadError(`unexpected ")" at byte ${token.offset}`);
      break;
    }
    at.i++;
    if (token.kind === 'pipe') {
      if (command) pipeline.push(command);
      command = undefined;
      continue;
    }
    command ??= { args: [], offset: token.offset };
    if (token.kind === 'ident' && command.args.length === 0 && command.fn === undefined) {
      command.fn = token.text;
      continue;
    }
    command.args.push(operandOf(token, tokens, at));
  }
  if (command) pipeline.push(command);
  return pipeline;
}

function operandOf(token: Token, tokens: Token[], at: { i: number }): Operand {
  switch (token.kind) {
    case 'string':
      return { kind: 'literal', value: unquote(token.text) };
    case 'number':
      return { kind: 'literal', value: Number(token.text) };
    case 'bool':
      return { kind: 'literal', value: token.text === 'true' };
    case 'nil':
      return { kind: 'literal', value: null };
    case 'lparen': {
      const pipeline = parsePipeline(tokens, at, true);
      at.i++; // the ")"
      return withFieldChain({ kind: 'pipeline', pipeline }, tokens, at);
    }
    case 'field':
    case 'dollar': {
      const path = token.kind === 'field' && token.text !== '.' ? [token.text.slice(1)] : [];
      const operand: Operand = { kind: 'field', root: token.kind === 'dollar' ? 'dollar' : 'dot', path, offset: token.offset };
      return withFieldChain(operand, tokens, at);
    }
    case 'ident':
      // A function used as an argument (niladic call) or a method: not something the reading knows.
      return { kind: 'unknown' };
    case 'variable':
      // `$x.a.b`: the variable is not tracked; its field chain is its own (not fields of the dot).
      return withFieldChain({ kind: 'unknown' }, tokens, at);
    default:
      return { kind: 'unknown' };
  }
}

/** `.a.b.c` lexes as `.a`, `.b`, `.c` items; they chain onto the operand before them. */
function withFieldChain(operand: Operand, tokens: Token[], at: { i: number }): Operand {
  const path: string[] = [];
  while (
    at.i < tokens.length &&
    tokens[at.i]!.kind === 'field' &&
    tokens[at.i]!.text !== '.' &&
    adjacent(tokens[at.i - 1]!, tokens[at.i]!)
  ) {
    path.push(tokens[at.i]!.text.slice(1));
    at.i++;
  }
  if (path.length === 0) return operand;
  if (operand.kind === 'field') return { ...operand, path: [...operand.path, ...path] };
  // `(pipeline).a`: the pipeline still runs (its nil pointers are the render's); its fields are not followed.
  if (operand.kind === 'pipeline') return { ...operand, chained: true };
  return { kind: 'unknown' };
}

function adjacent(previous: Token, next: Token): boolean {
  const end = previous.offset + (previous.kind === 'rparen' ? 1 : previous.text.length);
  return end === next.offset;
}

/** Builds the block tree of one template file. */
/** The named templates (`define`) of a chart's files: what `include` runs. */
type Defines = Map<string, Node[]>;

function parseTemplate(text: string, defines: Defines = new Map()): Node[] {
  const root: Node[] = [];
  // Each open block, the list it appends to, and whether an `else if`/`else with` opened it (shares `end`).
  const stack: { node: Node & { body: Node[]; elseBody: Node[] }; inElse: boolean; chained: boolean; define: boolean }[] = [];
  let defineDepth = 0;
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    if (!top) return root;
    return top.inElse ? top.node.elseBody : top.node.body;
  };
  for (const action of actionsOf(text)) {
    const tokens = tokenize(action.inner, action.offset);
    const head = tokens[0];
    if (!head) continue;
    const keyword = head.kind === 'ident' ? head.text : '';
    if (keyword === 'end') {
      let popped = stack.pop();
      while (popped?.chained) popped = stack.pop();
      if (popped?.define) defineDepth--;
      continue;
    }
    if (keyword === 'define' || keyword === 'block') {
      // Named templates run only through include/template: kept by name, not executed in place.
      const placeholder = { kind: 'if' as const, pipeline: [], body: [], elseBody: [] };
      const name = tokens[1]?.kind === 'string' ? unquote(tokens[1].text) : undefined;
      if (name !== undefined && defineDepth === 0) defines.set(name, placeholder.body);
      stack.push({ node: placeholder, inElse: false, chained: false, define: true });
      defineDepth++;
      continue;
    }
    if (keyword === 'else') {
      const top = stack[stack.length - 1];
      if (!top) throw new TemplateReadError(`"else" outside a block at byte ${head.offset}`);
      top.inElse = true;
      const next = tokens[1];
      if (next && next.kind === 'ident' && (next.text === 'if' || next.text === 'with')) {
        const pipeline = parsePipeline(tokens, { i: 2 }, false);
        const node = { kind: next.text, pipeline, body: [], elseBody: [] } as Node & { body: Node[]; elseBody: Node[] };
        top.node.elseBody.push(node);
        stack.push({ node, inElse: false, chained: true, define: false });
      }
      continue;
    }
    if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
      const pipeline = parsePipeline(tokens, { i: 1 }, false);
      const node = { kind: keyword, pipeline, body: [], elseBody: [] } as Node & { body: Node[]; elseBody: Node[] };
      target().push(node);
      stack.push({ node, inElse: false, chained: false, define: false });
      continue;
    }
    if (keyword === 'template' || keyword === 'break' || keyword === 'continue') continue;
    target().push({ kind: 'action', pipeline: parsePipeline(tokens, { i: 0 }, false) });
  }
  return root;
}

/** Go template truth (text/template exec.go isTrue): empty strings, collections, zero numbers, nil and false are false. */
function isTrue(value: Value): boolean | typeof UNKNOWN {
  if (value === UNKNOWN) return UNKNOWN;
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}

interface Scope {
  dot: Value;
  root: Value;
  template: string;
  text: string;
  /** The dot is a part of .Values (a `with` or `range` over it): a field of its nil parts is a nil pointer. */
  dotIsValues?: boolean;
  /** Evaluating what the render may skip: a nil pointer there is Undecidable, a `required` there is not checked. */
  probing?: boolean;
  defines?: Defines;
  /** `include` nesting, bounded (a recursive named template). */
  depth?: number;
}

/** text/template's ErrorContext (parse/parse.go:153): 1-based line, 0-based byte column. */
function locate(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: Buffer.byteLength(before.slice(lastNewline + 1), 'utf8') };
}

function position(scope: Scope, offset: number): string {
  const { line, column } = locate(scope.text, offset);
  return `${scope.template}:${line}:${column}`;
}

function field(value: Value, key: string): Value {
  if (value === UNKNOWN) return UNKNOWN;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value[key];
  // A field of nil or of a non-map is an execution error Helm reports verbatim; not a `required` failure.
  return UNKNOWN;
}

/**
 * text/template's ExecError for a field of nil (exec.go evalField, state.errorf): `template: <name>:<line>:<col>:
 * executing "<name>" at <<field chain>>: nil pointer evaluating interface {}.<field>`, the position the field node's
 * (parse.go ErrorContext). Helm passes it on as is (engine.go cleanupExecError: not a `required`/`fail` message).
 */
function nilPointer(operand: Operand & { kind: 'field' }, key: string, scope: Scope): Error {
  if (scope.probing) return new Undecidable();
  const chain = `${operand.root === 'dollar' ? '$' : ''}.${operand.path.join('.')}`;
  // parse.go operand(): a chain of fields is one node at the position of its second item (newChain(t.peek().pos)); `$`
  // then its first field.
  const first = operand.path[0] ?? '';
  const offset =
    operand.root === 'dollar'
      ? operand.offset + 1
      : operand.path.length > 1
        ? operand.offset + 1 + Buffer.byteLength(first)
        : operand.offset;
  return new RenderError(
    `template: ${position(scope, offset)}: executing "${scope.template}" at <${chain}>: nil pointer evaluating interface {}.${key}`,
  );
}

/** Whether a block's pipeline is one field chain into .Values (what its `with`/`range` dot is then part of). */
function valuesChain(pipeline: Pipeline, scope: Scope): boolean {
  const [command, ...rest] = pipeline;
  const operand = command?.args[0];
  if (!command || rest.length > 0 || command.fn !== undefined || command.args.length !== 1 || operand?.kind !== 'field') return false;
  if (operand.root === 'dot' && scope.dotIsValues === true) return true;
  const base = operand.root === 'dollar' ? scope.root : scope.dot;
  return base === scope.root && operand.path[0] === 'Values';
}

function evalOperand(operand: Operand, scope: Scope): Value {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'unknown':
      return UNKNOWN;
    case 'pipeline': {
      const value = evalPipeline(operand.pipeline, scope);
      return operand.chained ? UNKNOWN : value;
    }
    case 'field': {
      let value = operand.root === 'dot' ? scope.dot : scope.root;
      let inValues = operand.root === 'dot' && scope.dotIsValues === true;
      for (const key of operand.path) {
        // missingkey=zero (helm engine.go:155-161): a missing or null part of .Values is a nil interface{}, and a
        // field of it is text/template's "nil pointer evaluating interface {}.<field>" (exec.go evalField).
        if (inValues && (value === undefined || value === null)) throw nilPointer(operand, key, scope);
        const atRoot = value === scope.root;
        value = field(value, key);
        if (atRoot && key === 'Values') inValues = true;
      }
      return value;
    }
  }
}

/** sprig's `empty` (used by `default`): nil, "", 0, false, empty collections. */
function isEmpty(value: Value): boolean {
  return isTrue(value) === false;
}

function toNumber(value: Value): number | typeof UNKNOWN {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Math.trunc(Number(value)) : 0;
  if (value === null || value === undefined) return 0;
  return UNKNOWN;
}

function compare(fn: string, a: Value, b: Value): Value {
  if (a === UNKNOWN || b === UNKNOWN) return UNKNOWN;
  if (fn === 'eq') return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (fn === 'ne') return JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return UNKNOWN;
  switch (fn) {
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    default:
      return a >= b;
  }
}

function evalCommand(command: Command, scope: Scope, piped: Value | undefined, hasPiped: boolean): Value {
  if (command.fn === undefined) {
    const [first] = command.args;
    return first === undefined ? UNKNOWN : evalOperand(first, scope);
  }
  const fn = command.fn;
  // Go evaluates a command's arguments before the call; `and`/`or` short-circuit (Go 1.18+).
  if (fn === 'and' || fn === 'or') {
    const operands = command.args;
    let last: Value = UNKNOWN;
    for (const [index, operand] of operands.entries()) {
      last = evalOperand(operand, scope);
      const truth = isTrue(last);
      if (truth === UNKNOWN) {
        // Go may go on to the next operands: a nil pointer there makes the render's first error unknown.
        for (const next of operands.slice(index + 1)) evalOperand(next, { ...scope, probing: true });
        return UNKNOWN;
      }
      if (fn === 'and' ? !truth : truth) return last;
    }
    if (hasPiped) {
      const truth = isTrue(piped);
      if (truth === UNKNOWN) return UNKNOWN;
      return piped;
    }
    return last;
  }
  const args = command.args.map((a) => evalOperand(a, scope));
  if (hasPiped) args.push(piped);
  if (fn === 'include') {
    // The named template runs with the argument as its dot. Its errors are Helm's "error calling include: …" wording,
    // which the reading does not write: a nil pointer in it makes the first error unknown, its `required` calls are
    // not checked (as before the reading ran named templates at all).
    const [name, dot] = args;
    const body = typeof name === 'string' ? scope.defines?.get(name) : undefined;
    const operand = command.args[1];
    if (body && (scope.depth ?? 0) < 10) {
      const valuesDot = operand !== undefined && valuesChain([{ args: [operand], offset: command.offset }], scope);
      execute(body, { ...scope, dot: dot as Value, dotIsValues: valuesDot, probing: true, depth: (scope.depth ?? 0) + 1 });
    }
    return UNKNOWN;
  }
  switch (fn) {
    case 'required': {
      const [message, value] = args;
      if (typeof message !== 'string' || value === UNKNOWN || scope.probing) return UNKNOWN;
      // helm pkg/engine/engine.go:202-219: nil, or a string that is "".
      if (value === undefined || value === null || value === '') {
        throw new RenderError(`execution error at (${position(scope, command.offset)}): ${message}`);
      }
      return value;
    }
    case 'not': {
      const truth = isTrue(args[0]);
      return truth === UNKNOWN ? UNKNOWN : !truth;
    }
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return compare(fn, args[0], args[1]);
    case 'int':
    case 'int64':
      return toNumber(args[0]);
    case 'default': {
      const [fallback, value] = args;
      if (value === UNKNOWN || fallback === UNKNOWN) return UNKNOWN;
      return args.length < 2 || isEmpty(value) ? fallback : value;
    }
    case 'trim':
      return typeof args[0] === 'string' ? args[0].trim() : UNKNOWN;
    case 'len': {
      const [value] = args;
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      if (value !== null && typeof value === 'object') return Object.keys(value).length;
      return UNKNOWN;
    }
    case 'empty':
      return args[0] === UNKNOWN ? UNKNOWN : isEmpty(args[0]);
    case 'hasKey': {
      const [map, key] = args;
      if (map === UNKNOWN || key === UNKNOWN || typeof key !== 'string') return UNKNOWN;
      return map !== null && typeof map === 'object' && !Array.isArray(map) && map !== undefined && key in map;
    }
    default:
      return UNKNOWN;
  }
}

function evalPipeline(pipeline: Pipeline, scope: Scope): Value {
  let value: Value = undefined;
  pipeline.forEach((command, index) => {
    value = evalCommand(command, scope, value, index > 0);
  });
  return value;
}

function execute(nodes: Node[], scope: Scope): void {
  // Every action and every block guard is evaluated, in document order: a `required` call fails, and so does a field
  // of a nil part of .Values (whichever comes first, as Helm's render stops at the first error).
  for (const node of nodes) {
    if (node.kind === 'action') {
      evalPipeline(node.pipeline, scope);
      continue;
    }
    const value = evalPipeline(node.pipeline, scope);
    const truth = isTrue(value);
    if (truth === UNKNOWN) {
      // Neither branch can be told: their checks are skipped, and a nil pointer in either makes the first error unknown.
      const probe: Scope = { ...scope, dot: UNKNOWN, probing: true };
      execute(node.body, node.kind === 'if' ? { ...scope, probing: true } : probe);
      execute(node.elseBody, node.kind === 'range' ? probe : { ...scope, probing: true });
      continue;
    }
    const inner: Scope = { ...scope, dot: value as Value, dotIsValues: valuesChain(node.pipeline, scope) };
    if (node.kind === 'if') execute(truth ? node.body : node.elseBody, scope);
    else if (node.kind === 'with') execute(truth ? node.body : node.elseBody, truth ? inner : scope);
    else if (!truth) execute(node.elseBody, scope);
    else {
      // range: arrays in order, maps in sorted key order (text/template exec.go walkRange).
      const items = Array.isArray(value)
        ? value
        : value !== null && typeof value === 'object'
          ? Object.keys(value)
              .sort()
              .map((k) => (value as Record<string, JsonValue>)[k]!)
          : [];
      for (const item of items) execute(node.body, { ...inner, dot: item });
    }
  }
}

interface ChartTemplate {
  name: string;
  text: string;
  nodes: Node[];
}

/** The `required` checks of one chart, ready to run against values. */
export interface ChartRequirements {
  readonly chart: string;
  /** Every `required` call found in the chart's templates, in render order. */
  readonly calls: readonly RequiredCall[];
  /** The first failing check in Helm's render order, as kcm's Helm dry run reports it; undefined when all pass. */
  check(values: JsonValue): string | undefined;
}

/** Helm's sortTemplates (engine.go:347-370): sort.Reverse of (fewer slashes, then lexical): deeper paths first, then reverse-lexical. */
export function helmRenderOrder(names: readonly string[]): string[] {
  const depth = (n: string): number => n.split('/').length - 1;
  return [...names].sort((a, b) => {
    const byDepth = depth(b) - depth(a);
    if (byDepth !== 0) return byDepth;
    return a < b ? 1 : a > b ? -1 : 0;
  });
}

function callsOf(nodes: Node[], template: string, text: string, out: RequiredCall[]): void {
  const visit = (pipeline: Pipeline): void => {
    for (const command of pipeline) {
      if (command.fn === 'required') {
        const message = command.args[0];
        out.push({
          template,
          ...locate(text, command.offset),
          message: message?.kind === 'literal' && typeof message.value === 'string' ? message.value : '',
        });
      }
      for (const arg of command.args) if (arg.kind === 'pipeline') visit(arg.pipeline);
    }
  };
  for (const node of nodes) {
    visit(node.pipeline);
    if (node.kind !== 'action') {
      callsOf(node.body, template, text, out);
      callsOf(node.elseBody, template, text, out);
    }
  }
}

/** Reads a chart directory's templates (`<dir>/templates/*`) into its `required` checks. */
export function loadChartRequirements(chart: string, chartDir: string): ChartRequirements {
  const dir = join(chartDir, 'templates');
  const all = existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.txt')) : [];
  const files = all.filter((f) => !f.startsWith('_'));
  const defines: Defines = new Map();
  for (const partial of all.filter((f) => f.startsWith('_'))) {
    try {
      parseTemplate(readFileSync(join(dir, partial), 'utf8'), defines);
    } catch {
      // A partial the reading cannot parse: its named templates are unknown (an include of them is skipped).
    }
  }
  const templates: ChartTemplate[] = helmRenderOrder(files.map((f) => `${chart}/templates/${f}`)).map((name) => {
    const text = readFileSync(join(dir, name.slice(`${chart}/templates/`.length)), 'utf8');
    try {
      return { name, text, nodes: parseTemplate(text, defines) };
    } catch (err) {
      throw new Error(`reading ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  const calls: RequiredCall[] = [];
  for (const t of templates) callsOf(t.nodes, t.name, t.text, calls);
  return {
    chart,
    calls,
    check(values: JsonValue): string | undefined {
      // The root of a chart's templates: .Values plus what Helm adds (not read by these guards).
      const root: JsonValue = { Values: values, Release: {}, Chart: {}, Capabilities: {} };
      for (const t of templates) {
        try {
          execute(t.nodes, { dot: root, root, template: t.name, text: t.text, defines });
        } catch (err) {
          if (err instanceof RenderError) return err.message;
          if (err instanceof Undecidable) return undefined;
          throw err;
        }
      }
      return undefined;
    },
  };
}

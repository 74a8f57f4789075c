/**
 * A strict parser for the tiny subset of Python literal syntax that appears in `.npy` headers
 * (the output of `repr` on a dict of str, bool, int and tuple). It exists so that a header is
 * never handed to anything resembling eval, and so that every malformed header yields a precise
 * message instead of an exception from deep inside a general-purpose parser.
 */

export type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'int'; text: string }
  | { kind: 'float'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: Array<[string, PyValue]> };

export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
}

// Real headers nest at most two levels (dict > tuple); the cap keeps hostile input from
// exhausting the stack.
const MAX_DEPTH = 32;
const NUMBER = /[+-]?\d+(\.\d*)?([eE][+-]?\d+)?[lL]?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

export function parsePyLiteral(text: string): PyValue {
  return new Parser(text).parseTop();
}

export function describePyValue(v: PyValue): string {
  switch (v.kind) {
    case 'str':
      return `'${v.value}'`;
    case 'int':
    case 'float':
      return v.text;
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.items.length === 1
        ? `(${describePyValue(v.items[0]!)},)`
        : `(${v.items.map(describePyValue).join(', ')})`;
    case 'list':
      return `[${v.items.map(describePyValue).join(', ')}]`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `'${k}': ${describePyValue(x)}`).join(', ')}}`;
  }
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseTop(): PyValue {
    const value = this.parseValue(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the literal');
    return value;
  }

  private fail(problem: string): never {
    throw new PyLiteralError(`${problem} at offset ${this.pos}`);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      // space, \t, \n, \v, \f, \r
      if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail('literal is nested too deeply');
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('unexpected end of text');
    const c = this.text[this.pos]!;
    if (c === '{') return this.parseDict(depth);
    if (c === '(') return this.parseParen(depth);
    if (c === '[') return { kind: 'list', items: this.parseItems(']', depth).items };
    if (c === "'" || c === '"') return { kind: 'str', value: this.parseString() };
    if ((c >= '0' && c <= '9') || c === '-' || c === '+') return this.parseNumber();
    WORD.lastIndex = this.pos;
    const word = WORD.exec(this.text);
    if (word) {
      this.pos += word[0].length;
      if (word[0] === 'True') return { kind: 'bool', value: true };
      if (word[0] === 'False') return { kind: 'bool', value: false };
      if (word[0] === 'None') return { kind: 'none' };
      this.pos -= word[0].length;
      this.fail(`unexpected name '${word[0].slice(0, 40)}'`);
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private parseDict(depth: number): PyValue {
    this.pos++; // '{'
    const entries: Array<[string, PyValue]> = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { kind: 'dict', entries };
      }
      const key = this.parseValue(depth + 1);
      if (key.kind !== 'str') this.fail('dictionary keys must be strings');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':' after a dictionary key");
      this.pos++;
      entries.push([key.value, this.parseValue(depth + 1)]);
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ',') this.pos++;
      else if (sep !== '}') this.fail("expected ',' or '}' in a dictionary");
    }
  }

  /** Items up to `close`; `comma` tells whether any comma was seen, which is what makes `(x,)` a tuple. */
  private parseItems(close: string, depth: number): { items: PyValue[]; comma: boolean } {
    this.pos++; // opening bracket
    const items: PyValue[] = [];
    let comma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return { items, comma };
      }
      items.push(this.parseValue(depth + 1));
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ',') {
        comma = true;
        this.pos++;
      } else if (sep !== close) {
        this.fail(`expected ',' or '${close}'`);
      }
    }
  }

  private parseParen(depth: number): PyValue {
    const start = this.pos;
    const { items, comma } = this.parseItems(')', depth);
    if (items.length === 1 && !comma) return items[0]!; // plain parentheses, not a tuple
    if (items.length === 0 && comma) {
      this.pos = start;
      this.fail('invalid tuple');
    }
    return { kind: 'tuple', items };
  }

  private parseString(): string {
    const t = this.text;
    const quote = t[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t[this.pos]!;
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\n' || c === '\r') this.fail('unterminated string');
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const e = t[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '\\':
        case "'":
        case '"':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'x':
        case 'u': {
          const n = e === 'x' ? 2 : 4;
          const hex = t.slice(this.pos, this.pos + n);
          if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) this.fail('invalid escape in string');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += n;
          break;
        }
        default:
          this.pos -= 2;
          this.fail('unsupported escape in string');
      }
    }
  }

  private parseNumber(): PyValue {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('invalid number');
    this.pos += m[0].length;
    const isFloat = m[1] !== undefined || m[2] !== undefined;
    if (isFloat) {
      if (/[lL]$/.test(m[0])) this.fail('invalid number');
      return { kind: 'float', text: m[0] };
    }
    // The 'L' suffix comes from Python 2 era headers, which NumPy still reads.
    return { kind: 'int', text: m[0].replace(/[lL]$/, '') };
  }
}

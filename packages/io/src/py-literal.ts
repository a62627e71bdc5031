/**
 * A parser for the Python literals a `.npy` header holds (what NumPy reads with
 * `ast.literal_eval`): dicts, tuples, lists, strings (single or double quoted, with
 * backslash escapes), integers (an old `L` suffix allowed), floats, `True`, `False`, `None`.
 * Dict keys may repeat; as in Python, the last value wins. Anything else is an error that
 * says where the text stopped making sense.
 */

/** A parsed Python literal. */
export type PyValue =
  | { readonly kind: 'dict'; readonly entries: ReadonlyMap<string | number | boolean | null, PyValue> }
  | { readonly kind: 'tuple' | 'list'; readonly items: readonly PyValue[] }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int' | 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'none' };

/** A literal that does not parse; `position` is the character index where it failed. */
export class PyLiteralSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'PyLiteralSyntaxError';
  }
}

const MAX_DEPTH = 32;

/** Parses `text` as one Python literal (surrounding whitespace allowed). */
export function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const err = (what: string): never => {
    throw new PyLiteralSyntaxError(`${what} at character ${i}`, i);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) err('nesting too deep');
    ws();
    const c = text[i];
    if (c === undefined) return err('unexpected end');
    if (c === '{') return dict(depth);
    if (c === '(' || c === '[') return seq(depth, c === '(' ? ')' : ']');
    if (c === "'" || c === '"') return { kind: 'str', value: str() };
    const word = /^(True|False|None)(?![A-Za-z0-9_])/.exec(text.slice(i, i + 6));
    if (word) {
      i += word[1].length;
      return word[1] === 'None' ? { kind: 'none' } : { kind: 'bool', value: word[1] === 'True' };
    }
    const num = /^[+-]?(?:(\d+)[lL]?(?![.eE\d])|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (num && num[0].length > 0) {
      i += num[0].length;
      if (num[1] !== undefined) return { kind: 'int', value: Number(num[0].replace(/[lL]$/, '')) };
      return { kind: 'float', value: Number(num[0]) };
    }
    return err(`unexpected ${JSON.stringify(c)}`);
  };
  const str = (): string => {
    const q = text[i++];
    let out = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) return err('unterminated string');
      if (c === q) return out;
      if (c === '\n') return err('newline inside a string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
      if (e !== undefined && Object.hasOwn(simple, e)) out += simple[e];
      else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i, i + 2))) {
        out += String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
        i += 2;
      } else return err('unsupported escape in a string');
    }
  };
  const seq = (depth: number, close: string): PyValue => {
    i++;
    const items: PyValue[] = [];
    let comma = false;
    for (;;) {
      ws();
      if (text[i] === close) {
        i++;
        break;
      }
      if (items.length > 0 && !comma) err(`expected "," or "${close}"`);
      items.push(value(depth + 1));
      ws();
      comma = text[i] === ',';
      if (comma) i++;
    }
    // (x) is x in Python, not a tuple; (x,) is a tuple.
    if (close === ')' && items.length === 1 && !comma) return items[0];
    return { kind: close === ')' ? 'tuple' : 'list', items };
  };
  const dict = (depth: number): PyValue => {
    i++;
    const entries = new Map<string | number | boolean | null, PyValue>();
    let first = true;
    for (;;) {
      ws();
      if (text[i] === '}') {
        i++;
        break;
      }
      if (!first) {
        if (text[i] !== ',') err('expected "," or "}"');
        i++;
        ws();
        if (text[i] === '}') {
          i++;
          break;
        }
      }
      first = false;
      const k = value(depth + 1);
      if (k.kind === 'dict' || k.kind === 'list' || k.kind === 'tuple') err('a dict key must be a string or a number');
      const key = k.kind === 'none' ? null : (k as { value: string | number | boolean }).value;
      ws();
      if (text[i] !== ':') err('expected ":"');
      i++;
      entries.delete(key); // the last value wins, in the last position
      entries.set(key, value(depth + 1));
    }
    return { kind: 'dict', entries };
  };
  const v = value(0);
  ws();
  if (i < text.length) err('unexpected text after the literal');
  return v;
}

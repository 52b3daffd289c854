/**
 * Limits checked before any parser sees the source: size, and bracket nesting.
 *
 * Threat: parsers recurse once (or a dozen times) per nesting level. Measured in a Chromium worker,
 * QuickJS overflows the worker's *native* stack inside the WASM at about 320 nested parentheses,
 * whatever `setMaxStackSize` says, which poisons the module; acorn gives up at about 350 with
 * "Not enough stack space". So absurd nesting is refused here, by a linear scan that recurses on
 * nothing, before acorn or QuickJS run.
 *
 * The scan is a small tokenizer: it skips strings, comments, template text and regular-expression
 * literals (telling a regex from a division by the previous token, the way acorn's tokenizer does),
 * and counts `(`, `[`, `{` and template `${`, plus the groups inside a regex literal (QuickJS
 * compiles regex literals while parsing, recursively per group). If its heuristics misjudge a `/`,
 * the count can be off; that is why the validator measures nesting again on the AST (weighted by
 * what each construct costs QuickJS) before untrusted code reaches QuickJS. This gate is cheap and
 * early; the AST check is exact.
 */
import type { Violation } from '../protocol.js';
import { LineIndex } from './position.js';

/** Options of {@link checkLimits}. */
export interface LimitOptions {
  /** Largest accepted source, in UTF-8 bytes. */
  maxSourceBytes: number;
  /** Deepest accepted bracket nesting. */
  maxNestingDepth: number;
}

/** UTF-8 byte length of `code` (lone surrogates count 3, as TextEncoder writes U+FFFD). */
export function utf8Length(code: string): number {
  let bytes = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (code.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Checks source size and bracket nesting without parsing. Linear time, constant stack.
 *
 * @returns a `source-too-large` or `nesting-too-deep` violation, or `null` when both limits hold.
 * @throws {TypeError} when `code` is not a string or a limit is not a positive integer (a caller bug).
 */
export function checkLimits(code: string, options: LimitOptions): Violation | null {
  if (typeof code !== 'string') throw new TypeError(`Expected \`code\` to be a string, got \`${typeof code}\``);
  const { maxSourceBytes, maxNestingDepth } = options;
  for (const [name, value] of [['maxSourceBytes', maxSourceBytes], ['maxNestingDepth', maxNestingDepth]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${String(value)}\``);
  }
  // UTF-8 takes at least one byte per UTF-16 unit and at most three: skip the count when the length decides.
  if (code.length > maxSourceBytes || (code.length * 3 > maxSourceBytes && utf8Length(code) > maxSourceBytes)) {
    const bytes = utf8Length(code);
    return {
      rule: 'source-too-large',
      message: `rejected source of ${bytes} bytes at 1:1 (source-too-large): the limit is ${maxSourceBytes} bytes (limits.maxSourceBytes)`,
      line: 1,
      column: 1,
      snippet: '',
    };
  }
  const at = deepestPoint(code, maxNestingDepth);
  if (at === -1) return null;
  const { line, column } = new LineIndex(code).at(at);
  return {
    rule: 'nesting-too-deep',
    message: `rejected nesting deeper than ${maxNestingDepth} at ${line}:${column} (nesting-too-deep): brackets nest deeper than limits.maxNestingDepth; flatten the code`,
    line,
    column,
    snippet: code.slice(at, at + 20).replace(/\s+/g, ' '),
  };
}

// Bracket kinds on the scanner's stack.
const PAREN = 0;
/** `(` after `if`/`while`/`for`/`with`: after its `)` a statement starts, so `/` opens a regex. */
const PAREN_STATEMENT = 1;
const BRACKET = 2;
/** `{` of a block, function body or class body: after its `}` a statement starts. */
const BRACE_BLOCK = 3;
/** `{` of an object literal: after its `}` an operator is expected. */
const BRACE_EXPRESSION = 4;
/** `${` inside a template: its `}` resumes the template text. */
const TEMPLATE = 5;

/** Keywords after which an expression starts (so `/` opens a regex literal), like acorn's `beforeExpr`. */
const EXPRESSION_KEYWORDS = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await', 'extends',
]);
/** Keywords after which `{` opens a block. */
const BLOCK_KEYWORDS = new Set(['else', 'do', 'try', 'finally']);
const STATEMENT_PAREN_KEYWORDS = new Set(['if', 'while', 'for', 'with']);
/**
 * Prefilter: (first letter, length) of every keyword above, so the scanner slices only the few
 * identifiers that could be one of them (slicing every identifier costs more than the rest of the scan).
 */
const KEYWORD_SHAPES = new Uint8Array(26 * 11);
for (const word of [...EXPRESSION_KEYWORDS, ...BLOCK_KEYWORDS, ...STATEMENT_PAREN_KEYWORDS]) KEYWORD_SHAPES[(word.charCodeAt(0) - 97) * 11 + word.length] = 1;

const isIdentifierChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 36 || c === 95 || c === 92 || c >= 0x80;
const isLineTerminator = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/**
 * Offset of the first bracket that nests deeper than `limit`, or -1.
 *
 * `exprEnd` is true when the previous token ends an expression (identifier, literal, `)`, `]`,
 * object `}`): then `/` divides; otherwise it opens a regex literal.
 */
function deepestPoint(code: string, limit: number): number {
  const stack: number[] = [];
  const n = code.length;
  let i = 0;
  let exprEnd = false;
  // What the previous significant token was, for `{` (block or object) and `(` (statement head or not).
  let prevWord = '';
  let prevPunct = -1; // char code of the previous punctuator; 0 after a word or literal; -1 at the start
  let prevWasArrow = false;

  if (code.charCodeAt(0) === 35 && code.charCodeAt(1) === 33) {
    while (i < n && !isLineTerminator(code.charCodeAt(i))) i++; // hashbang line
  }

  const open = (kind: number, at: number): boolean => {
    stack.push(kind);
    return stack.length > limit ? ((deepest = at), true) : false;
  };
  let deepest = -1;

  /** Scans template text from `i` (just after a backtick or a `${...}`'s `}`); stops after the closing backtick or `${`. */
  const template = (): boolean => {
    while (i < n) {
      const c = code.charCodeAt(i);
      if (c === 92) i += 2;
      else if (c === 96) {
        i++;
        exprEnd = true;
        return false;
      } else if (c === 36 && code.charCodeAt(i + 1) === 123) {
        i += 2;
        exprEnd = false;
        return open(TEMPLATE, i - 2);
      } else i++;
    }
    return false;
  };

  while (i < n) {
    const c = code.charCodeAt(i);
    // Whitespace and line terminators (ASCII fast path; other spaces fall to the identifier branch, harmlessly).
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029) {
      i++;
      continue;
    }
    if (c === 47) {
      const next = code.charCodeAt(i + 1);
      if (next === 47) {
        i += 2;
        while (i < n && !isLineTerminator(code.charCodeAt(i))) i++;
        continue;
      }
      if (next === 42) {
        const close = code.indexOf('*/', i + 2);
        i = close === -1 ? n : close + 2;
        continue;
      }
      if (exprEnd) {
        i++; // division (`/=` too: `=` is scanned as a punctuator next)
        exprEnd = false;
        prevPunct = 47;
        prevWord = '';
        prevWasArrow = false;
        continue;
      }
      // Regex literal: count its groups, which QuickJS compiles recursively while parsing.
      i++;
      let inClass = false;
      let groups = 0;
      while (i < n) {
        const r = code.charCodeAt(i);
        if (isLineTerminator(r)) break; // unterminated: acorn reports it
        if (r === 92) {
          i += 2;
          continue;
        }
        i++;
        if (inClass) {
          if (r === 93) inClass = false;
        } else if (r === 91) inClass = true;
        else if (r === 47) break;
        else if (r === 40) {
          groups++;
          if (stack.length + groups > limit) return i - 1;
        } else if (r === 41 && groups > 0) groups--;
      }
      while (i < n && isIdentifierChar(code.charCodeAt(i))) i++; // flags
      exprEnd = true;
      prevPunct = 0;
      prevWord = '';
      prevWasArrow = false;
      continue;
    }
    if (c === 39 || c === 34) {
      i++;
      while (i < n) {
        const s = code.charCodeAt(i);
        if (s === 92) i += 2;
        else if (s === c || s === 10 || s === 13) {
          i++;
          break;
        } else i++;
      }
      exprEnd = true;
      prevPunct = 0;
      prevWord = '';
      prevWasArrow = false;
      continue;
    }
    if (c === 96) {
      i++;
      prevPunct = 0;
      prevWord = '';
      prevWasArrow = false;
      if (template()) return deepest;
      continue;
    }
    if (isIdentifierChar(c) || c === 35) {
      const start = i;
      i++;
      while (i < n && isIdentifierChar(code.charCodeAt(i))) i++;
      const length = i - start;
      // Numbers: `1e+5` leaves `+5` to the punctuator branch, which is harmless here.
      if (c >= 48 && c <= 57) {
        prevWord = '';
        exprEnd = true;
      } else if (length >= 2 && length <= 10 && c >= 97 && c <= 122 && KEYWORD_SHAPES[(c - 97) * 11 + length] === 1) {
        const word = code.slice(start, i);
        // `for await (` keeps the statement head of `for`.
        if (!(word === 'await' && prevWord === 'for')) prevWord = word;
        exprEnd = !EXPRESSION_KEYWORDS.has(word);
      } else {
        prevWord = '';
        exprEnd = true;
      }
      prevPunct = 0;
      prevWasArrow = false;
      continue;
    }
    if (c === 46 && code.charCodeAt(i + 1) >= 48 && code.charCodeAt(i + 1) <= 57) {
      i++; // `.5`: a number
      while (i < n && isIdentifierChar(code.charCodeAt(i))) i++;
      exprEnd = true;
      prevPunct = 0;
      prevWord = '';
      prevWasArrow = false;
      continue;
    }
    // Punctuators.
    i++;
    let arrow = false;
    switch (c) {
      case 40: // (
        if (open(STATEMENT_PAREN_KEYWORDS.has(prevWord) ? PAREN_STATEMENT : PAREN, i - 1)) return deepest;
        exprEnd = false;
        break;
      case 91: // [
        if (open(BRACKET, i - 1)) return deepest;
        exprEnd = false;
        break;
      case 123: {
        // {: a block at the start, after `)` (statement head, parameters), `]`, `=>`, `;`, `{`, `}`,
        // a name or literal (`class A {`, ASI) or `else`/`do`/`try`/`finally`; an object literal after
        // operators, `(`, `[`, `,`, `:`, `?` and expression keywords (`return {`).
        const block = prevPunct === -1 || prevWasArrow || prevPunct === 41 || prevPunct === 93 || prevPunct === 59 || prevPunct === 123
          || prevPunct === 125 || (prevPunct === 0 && (exprEnd || BLOCK_KEYWORDS.has(prevWord)));
        if (open(block ? BRACE_BLOCK : BRACE_EXPRESSION, i - 1)) return deepest;
        exprEnd = false;
        break;
      }
      case 41: // )
        exprEnd = stack.pop() !== PAREN_STATEMENT;
        break;
      case 93: // ]
        stack.pop();
        exprEnd = true;
        break;
      case 125: {
        // }
        const kind = stack.pop();
        if (kind === TEMPLATE) {
          if (template()) return deepest;
          prevPunct = 0;
          prevWord = '';
          prevWasArrow = false;
          continue;
        }
        exprEnd = kind === BRACE_EXPRESSION;
        break;
      }
      case 43: // + and ++
      case 45: // - and --
        if (code.charCodeAt(i) === c) {
          i++;
          // Postfix after an expression keeps it an expression; prefix starts one.
          break;
        }
        exprEnd = false;
        break;
      case 61: // = and =>
        if (code.charCodeAt(i) === 62) {
          i++;
          arrow = true;
        }
        exprEnd = false;
        break;
      default:
        exprEnd = false;
    }
    prevPunct = c;
    prevWord = '';
    prevWasArrow = arrow;
  }
  return -1;
}

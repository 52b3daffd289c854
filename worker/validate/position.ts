/**
 * Offsets to 1-based line:column, and short snippets, for diagnostics. Line terminators are the
 * ones ECMAScript (and acorn) count: LF, CR, CRLF, U+2028, U+2029. Columns count UTF-16 code units,
 * like acorn and like editors that report JavaScript positions.
 */

/** Lazily built table of line starts; one per validated source. */
export class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly code: string) {}

  /** 1-based line and column of `offset`. */
  at(offset: number): { line: number; column: number } {
    const starts = (this.starts ??= lineStarts(this.code));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }
}

function lineStarts(code: string): number[] {
  const starts = [0];
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c === 10 || c === 0x2028 || c === 0x2029) starts.push(i + 1);
    else if (c === 13) {
      if (code.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Longest snippet a violation carries. */
export const SNIPPET_MAX = 60;

/** The source of `[start, end)` on one line, whitespace collapsed, cut to {@link SNIPPET_MAX} characters. */
export function snippetOf(code: string, start: number, end: number): string {
  let text = code.slice(start, Math.min(end, start + SNIPPET_MAX * 4)).replace(/\s+/g, ' ').trim();
  if (text.length > SNIPPET_MAX) text = `${text.slice(0, SNIPPET_MAX - 3)}...`;
  return text;
}

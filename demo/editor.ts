/**
 * The code editor: CodeMirror 6 with JavaScript highlighting and lint diagnostics for validation and
 * compilation errors at their line and column.
 *
 * Built from the @codemirror/* packages directly (no `basicSetup`): the installed `codemirror` package
 * is 6.65.7, a re-published CodeMirror 5, and @codemirror/commands is not installed. The few commands
 * a playground needs (newline with indentation, Tab, undo/redo) are defined here.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, getIndentation, indentOnInput, indentString, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorSelection, EditorState, StateEffect, StateField, type ChangeSet, type Extension } from '@codemirror/state';
import {
  EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers, type Command,
} from '@codemirror/view';

/** A problem to mark in the editor. `line` and `column` are 1-based, as the SDK reports them. */
export interface Marker {
  line: number;
  column: number;
  /** Source text the problem is about; the occurrence that covers the column is underlined. */
  snippet?: string;
  message: string;
  /** Shown as the diagnostic's source, e.g. the validator rule id or `COMPILATION_ERROR`. */
  source: string;
  severity?: 'error' | 'warning';
}

/** The editor as the rest of the playground uses it. */
export interface CodeEditor {
  readonly view: EditorView;
  getCode(): string;
  setCode(code: string): void;
  /** Replaces the markers; an empty list clears them. */
  mark(markers: readonly Marker[]): void;
}

// ---- a small undo history (what @codemirror/commands would provide) ----

interface HistoryEntry {
  /** Changes that undo the step. */
  changes: ChangeSet;
  selection: EditorSelection;
  time: number;
}
interface History {
  done: HistoryEntry[];
  undone: HistoryEntry[];
}
const setHistory = StateEffect.define<History>();
const MAX_HISTORY = 200;

const historyField = StateField.define<History>({
  create: () => ({ done: [], undone: [] }),
  update(value, tr) {
    for (const effect of tr.effects) if (effect.is(setHistory)) return effect.value;
    if (!tr.docChanged) return value;
    const inverted = tr.changes.invert(tr.startState.doc);
    const time = Date.now();
    const last = value.done.at(-1);
    // Consecutive typing within half a second is one undo step, like every editor does.
    if (last !== undefined && tr.isUserEvent('input.type') && time - last.time < 500) {
      return { done: [...value.done.slice(0, -1), { changes: inverted.compose(last.changes), selection: last.selection, time }], undone: [] };
    }
    return { done: [...value.done, { changes: inverted, selection: tr.startState.selection, time }].slice(-MAX_HISTORY), undone: [] };
  },
});

const travel = (from: 'done' | 'undone'): Command => (view) => {
  const history = view.state.field(historyField);
  const entry = history[from].at(-1);
  if (entry === undefined) return false;
  const back: HistoryEntry = { changes: entry.changes.invert(view.state.doc), selection: view.state.selection, time: 0 };
  const to = from === 'done' ? 'undone' : 'done';
  view.dispatch({
    changes: entry.changes,
    selection: entry.selection,
    effects: setHistory.of({ [from]: history[from].slice(0, -1), [to]: [...history[to], back] } as unknown as History),
    scrollIntoView: true,
    userEvent: from === 'done' ? 'undo' : 'redo',
  });
  return true;
};

// ---- editing commands ----

const newlineAndIndent: Command = (view) => {
  const { state } = view;
  view.dispatch(
    state.changeByRange((range) => {
      const line = state.doc.lineAt(range.from);
      const indent = getIndentation(state, range.from) ?? /^\s*/.exec(line.text)![0].length;
      const insert = `\n${indentString(state, indent)}`;
      return { changes: { from: range.from, to: range.to, insert }, range: EditorSelection.cursor(range.from + insert.length) };
    }),
    { scrollIntoView: true, userEvent: 'input' },
  );
  return true;
};

const UNIT = '  ';

const indentMore: Command = (view) => {
  const { state } = view;
  if (state.selection.ranges.every((r) => r.empty)) {
    view.dispatch(state.replaceSelection(UNIT), { userEvent: 'input' });
    return true;
  }
  const changes = [];
  const seen = new Set<number>();
  for (const range of state.selection.ranges) {
    for (let pos = range.from; pos <= range.to;) {
      const line = state.doc.lineAt(pos);
      if (!seen.has(line.number)) changes.push({ from: line.from, insert: UNIT });
      seen.add(line.number);
      pos = line.to + 1;
    }
  }
  view.dispatch({ changes, userEvent: 'input.indent' });
  return true;
};

const indentLess: Command = (view) => {
  const { state } = view;
  const changes = [];
  const seen = new Set<number>();
  for (const range of state.selection.ranges) {
    for (let pos = range.from; pos <= range.to;) {
      const line = state.doc.lineAt(pos);
      const spaces = /^ {0,2}/.exec(line.text)![0].length;
      if (!seen.has(line.number) && spaces > 0) changes.push({ from: line.from, to: line.from + spaces });
      seen.add(line.number);
      pos = line.to + 1;
    }
  }
  if (changes.length > 0) view.dispatch({ changes, userEvent: 'delete.dedent' });
  return true;
};

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '14px', backgroundColor: 'var(--editor-bg)' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: 'var(--editor-gutter)', color: 'var(--muted)', borderRight: '1px solid var(--line)' },
  '.cm-activeLine': { backgroundColor: 'var(--editor-active)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--editor-active)' },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '-2px' },
});

/**
 * The span to underline on a line, as offsets into it: the occurrence of `snippet` that covers the
 * column (a violation's column may point inside its snippet, e.g. at the computed key of
 * `globalThis[name]`), else the word at the column, else one character (the last one at a line end).
 */
function spanAt(text: string, column: number, snippet: string | undefined): [number, number] {
  if (snippet) {
    for (let i = text.indexOf(snippet); i >= 0; i = text.indexOf(snippet, i + 1)) {
      if (i <= column && column < i + snippet.length) return [i, i + snippet.length];
    }
  }
  if (column >= text.length) return text.length === 0 ? [0, 0] : [text.length - 1, text.length];
  const word = /^[\w$]+/.exec(text.slice(column))?.[0].length ?? 1;
  return [column, column + word];
}

/**
 * Creates the editor in `parent`. `onRun` is bound to Ctrl/Cmd+Enter.
 */
export function createEditor(parent: HTMLElement, doc: string, onRun: () => void): CodeEditor {
  const extensions: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    drawSelection(),
    EditorState.allowMultipleSelections.of(true),
    indentUnit.of(UNIT),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    autocompletion(),
    highlightActiveLine(),
    historyField,
    javascript(),
    lintGutter(),
    keymap.of([
      { key: 'Mod-Enter', run: () => (onRun(), true), preventDefault: true },
      ...closeBracketsKeymap,
      ...completionKeymap,
      { key: 'Enter', run: newlineAndIndent },
      { key: 'Tab', run: indentMore, shift: indentLess },
      { key: 'Mod-z', run: travel('done'), preventDefault: true },
      { key: 'Mod-Shift-z', run: travel('undone'), preventDefault: true },
      { key: 'Mod-y', run: travel('undone'), preventDefault: true },
    ]),
    EditorView.contentAttributes.of({ 'aria-label': 'Guest code (JavaScript)' }),
    theme,
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc, extensions }) });

  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode(code: string) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code }, selection: EditorSelection.cursor(0), scrollIntoView: true });
      view.dispatch(setDiagnostics(view.state, []));
      parent.dataset.markers = '0';
      parent.dataset.markerLines = '';
    },
    mark(markers: readonly Marker[]) {
      const { doc: text } = view.state;
      const diagnostics: Diagnostic[] = markers.map((m) => {
        const line = text.line(Math.min(Math.max(1, Math.trunc(m.line) || 1), text.lines));
        const [start, end] = spanAt(line.text, Math.max(0, (Math.trunc(m.column) || 1) - 1), m.snippet);
        return { from: line.from + start, to: line.from + end, severity: m.severity ?? 'error', message: m.message, source: m.source };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
      // For tests and assistive tech: how many problems are marked, on which lines.
      parent.dataset.markers = String(diagnostics.length);
      parent.dataset.markerLines = [...new Set(markers.map((m) => m.line))].join(',');
    },
  };
}

// The virtual module of scripts/doc-blocks.mjs: the docs' doctest blocks, compiled by Vite.
declare module 'virtual:doc-blocks' {
  export interface DocBlock {
    /** Markdown file, relative to the repository root. */
    file: string;
    /** Line of the block's opening fence. */
    line: number;
    /** How many `console.log(...); // => ...` assertions the block holds. */
    checks: number;
    run(console: Console, check: (id: number, actual: unknown[], expected: unknown[], partial: boolean) => void): Promise<void>;
  }
  const blocks: DocBlock[];
  export default blocks;
}

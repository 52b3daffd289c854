// Types for scripts/doc-blocks.mjs (imported by vitest.config.ts and the docs tests).
import type { Plugin } from 'vite';

export interface CodeBlock {
  /** The fence's language (`ts`, `sh`, ...), '' when none. */
  lang: string;
  /** The HTML comment on the line before the fence. */
  mark: 'doctest' | 'fragment' | undefined;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
}

export declare const ROOT: string;
export declare function docFiles(root?: string): string[];
export declare function codeBlocks(markdown: string): CodeBlock[];
export declare function toModule(block: string): { code: string; checks: number };
export declare function docBlocksPlugin(root?: string): Plugin;
export declare function readRepoFile(file: string, root?: string): string;
export declare function repoPathExists(file: string, root?: string): boolean;
export declare function resolveLink(fromFile: string, target: string): string;

// Types for scripts/bench-docs.mjs (imported by its test).
export declare const TEMPLATE: string;
export declare const RESULTS: string;
export declare const PAGE: string;
export declare function renderResults(report: unknown): string;
export declare function renderPage(template: string, report: unknown): string;
export declare function generate(root?: string): string;

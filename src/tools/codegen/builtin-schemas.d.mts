// Types of builtin-schemas.mjs (used by the freshness test).
export declare const BUILTIN_SCHEMAS: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
export declare function generateBuiltinValidators(): string;

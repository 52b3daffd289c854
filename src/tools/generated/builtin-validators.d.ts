// Types of the generated builtin-validators.js (ajv standalone output).
import type { ParamsValidator } from '../schema.js';

export declare const readFile: ParamsValidator;
export declare const writeFile: ParamsValidator;
export declare const listDir: ParamsValidator;
export declare const deleteFile: ParamsValidator;
export declare const stat: ParamsValidator;
export declare const fetch: ParamsValidator;
export declare const schemas: Readonly<Record<'readFile' | 'writeFile' | 'listDir' | 'deleteFile' | 'stat' | 'fetch', Readonly<Record<string, unknown>>>>;

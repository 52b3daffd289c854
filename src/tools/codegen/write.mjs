// Writes src/tools/generated/builtin-validators.js. Run from the project root: node src/tools/codegen/write.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateBuiltinValidators } from './builtin-schemas.mjs';

const target = fileURLToPath(new URL('../generated/builtin-validators.js', import.meta.url));
writeFileSync(target, generateBuiltinValidators());
console.log(`wrote ${target}`);

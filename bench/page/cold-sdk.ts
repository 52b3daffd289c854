/**
 * What the cold row imports: exactly the SDK functions an app with the full pipeline uses, as an app
 * would (`import { createSandbox, ... } from 'quickcage'`), so the bundle holds what that app ships.
 * The package declares `"sideEffects": false`; bench/run.mjs tells the bundler the same of src/, so
 * modules the app does not use (tool schemas, dynamic tools, agents) stay out.
 */
export { createAuditLog, createRateLimiter, createSandbox, definePolicy } from '../../src/index.js';
